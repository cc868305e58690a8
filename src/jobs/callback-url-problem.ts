const MAX_URL_LENGTH = 2048;

/**
 * What is wrong with a status callback URL, or undefined when it is usable: an absolute http(s)
 * URL with a host and no credentials (the URL sits in job data and delivery errors; the request
 * signature, not a password in the URL, authenticates the dialer).
 */
export function callbackUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  if (!URL.canParse(value)) return 'must be an absolute http:// or https:// URL';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.hostname === '') return 'must name a host';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  return undefined;
}
