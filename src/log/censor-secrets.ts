import { stdSerializers } from 'pino';

/** Keys whose values are never written, at any depth (the same words the config formatter hides). */
export const SECRET_KEY = /password|passwd|secret|token|authorization|api[-_]?key|cookie/i;

// `scheme://user:password@host`, anywhere in a text (error messages and stacks embed URLs): the
// password part of a URL's userinfo. Neither part crosses a `/`, so a scan stays linear.
const URL_PASSWORD = /(\/\/[^/@\s:]*:)[^/@\s]+@/g;
// `?password=` or `&password=` in a URL's query (ioredis and others read it there too).
const QUERY_PASSWORD = /([?&](?:password|pass|pwd|secret|token)=)[^&#\s"']*/gi;
// An SDES key in any SDP we log (`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<key||salt>|...`,
// RFC 4568 §6.1): whoever reads it can decrypt the call. The base64 stops at `|`, space or line end.
const SDES_INLINE_KEY = /(inline:)[A-Za-z0-9+/=]+/gi;
const MAX_DEPTH = 8;
const CENSOR = '[redacted]';

/** `text` with the password of every URL in it masked. */
export function censorText(text: string): string {
  const masked = /inline:/i.test(text) ? text.replace(SDES_INLINE_KEY, `$1${CENSOR}`) : text;
  if (!masked.includes('//') && !masked.includes('=')) return masked;
  return masked.replace(URL_PASSWORD, `$1${CENSOR}@`).replace(QUERY_PASSWORD, `$1${CENSOR}`);
}

/**
 * Returns `value` with every secret-named key censored and URL passwords masked, at any depth.
 * pino's own redaction matches fixed paths (`*.password` is one level); a config or trunk object
 * logged whole would slip past it. Errors are serialized here (pino's serializers run after this
 * formatter and only on `err`), so an error under any key, or nested in another, is censored
 * too. Otherwise only plain objects and arrays are walked; nothing is copied unless something is
 * censored.
 */
export function censorSecrets<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return censorText(value) as T;
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return censorError(value, depth) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const censored = censorSecrets(item, depth + 1);
      if (censored !== item) (copy ??= [...value])[i] = censored;
    });
    return (copy ?? value) as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const censored =
      SECRET_KEY.test(key) && item !== undefined && item !== null ? CENSOR : censorSecrets(item, depth + 1);
    if (censored !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = censored;
  }
  return (copy ?? value) as T;
}

/**
 * An error as pino writes it, censored. ioredis' ReplyError carries the refused command,
 * `{ name: 'hello', args: ['3', 'AUTH', user, password] }` when a login fails, and any
 * command's arguments may be job data: only the command's name is kept.
 */
function censorError(error: Error, depth: number): unknown {
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  // pino builds it on its own prototype, which the walk above would leave alone.
  const censored = { ...censorSecrets({ ...serialized }, depth) };
  // pino serializes a cause or an error-valued field itself, without the rule below.
  for (const key of ['cause', ...Object.keys(error)]) {
    const inner = (error as unknown as Record<string, unknown>)[key];
    if (inner instanceof Error && inner !== error && depth < MAX_DEPTH)
      censored[key] = censorError(inner, depth + 1);
  }
  const command = serialized['command'];
  if (typeof command === 'object' && command !== null) {
    const name = (command as { name?: unknown }).name;
    censored['command'] = { name: typeof name === 'string' ? name : undefined, args: CENSOR };
  }
  return censored;
}
