/**
 * Where a Redis URL points, fit for a log line or an error: `host:port`, with the ACL user when
 * one is named (a mistyped user is a common cause of a refused login), never the password.
 */
export function redisEndpoint(url: string): string {
  if (!URL.canParse(url)) return '(unparsable Redis URL)';
  const parsed = new URL(url);
  const where = `${parsed.hostname}:${parsed.port || '6379'}`;
  return parsed.username === '' ? where : `${decodeURIComponent(parsed.username)}@${where}`;
}
