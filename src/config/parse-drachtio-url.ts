/** `drachtio://:SECRET@HOST:PORT` (port default 9022) as the `drachtio` config section. */
export function parseDrachtioUrl(text: string): { host: string; port: number; secret: string } | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  if (url.protocol !== 'drachtio:' || url.hostname === '' || url.password === '') return undefined;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 9022 : Number(url.port),
    secret: decodeURIComponent(url.password),
  };
}
