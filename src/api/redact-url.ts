/** Query parameters whose value is a secret. */
const SECRET_PARAMS = new Set(['token']);

/**
 * A request URL fit for a log line: the value of any `token` query parameter replaced. Names are
 * compared decoded, as the auth hook reads them: `?to%6Ben=` and `?token=` are the same parameter.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const end = hash === -1 ? url.length : hash;
  const query = url
    .slice(q + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_PARAMS.has(decodedName(name)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${query}${url.slice(end)}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    // Not decodable: URLSearchParams keeps such a name as written, so compare it as written.
    return name.toLowerCase();
  }
}
