/**
 * Resolves true when `work` settles within `ms`, false when the deadline comes first; a rejection
 * of `work` comes through. Shutdown and failed-start cleanup use it: a BullMQ close or an ioredis
 * quit waits forever for a Redis that is gone, and the process must still exit.
 */
export async function withinDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
