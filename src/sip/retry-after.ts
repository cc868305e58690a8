/** `Retry-After: 30`, `30;duration=60` or `30 (comment)` → ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(\d{1,9})/.exec(value);
  if (!match?.[1]) return undefined;
  return Number(match[1]) * 1000;
}
