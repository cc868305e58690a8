/**
 * A Redis URL fit for a message: the password, if any, shown as `***`
 * (`redis://:***@host:6379`, `rediss://user:***@host:6380/2`).
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // ioredis also reads `?password=` from the query.
    const inQuery = parsed.searchParams.has('password');
    if (parsed.password === '' && !inQuery) return url;
    if (parsed.password !== '') parsed.password = '***';
    if (inQuery) parsed.searchParams.set('password', '***');
    return parsed.toString().replace('password=%2A%2A%2A', 'password=***');
  } catch {
    // Not a URL the WHATWG parser takes: mask anything between `//user:` and `@` anyway.
    return url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@').replace(/([?&]password=)[^&#\s]*/gi, '$1***');
  }
}
