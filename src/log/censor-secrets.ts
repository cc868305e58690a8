/** Keys whose values are never written, at any depth (the same words the config formatter hides). */
export const SECRET_KEY = /password|passwd|secret|token|authorization|api[-_]?key|cookie/i;

// `scheme://user:password@host`: the password part of a URL's userinfo.
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)([^/@\s]+)@/i;
const MAX_DEPTH = 8;
const CENSOR = '[redacted]';

/**
 * Returns `value` with every secret-named key censored and URL passwords masked, at any depth.
 * pino's own redaction matches fixed paths (`*.password` is one level); a config or trunk object
 * logged whole would slip past it. Only plain objects and arrays are walked (errors go through
 * pino's serializer); nothing is copied unless something is censored.
 */
export function censorSecrets<T>(value: T, depth = 0): T {
  if (typeof value === 'string') {
    return (URL_PASSWORD.test(value) ? value.replace(URL_PASSWORD, `$1${CENSOR}@`) : value) as T;
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
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
