/**
 * A Redis URL fit for a message: the password, if any, shown as `***`
 * (`redis://:***@host:6379`, `rediss://user:***@host:6380/2`).
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL the WHATWG parser takes: mask anything between `//user:` and `@` anyway.
    return url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@');
  }
}
