/**
 * Resolves like `promise`, or with `fallback` after `ms`. A scrape must answer even when Redis
 * does not: commands on a `maxRetriesPerRequest: null` connection wait for it forever.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise.catch(() => fallback), late]).finally(() => clearTimeout(timer));
}
