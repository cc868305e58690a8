/** Redis keys and the queue name of status callbacks, under the dialer's hash-tagged prefix. */
export class CallbackKeys {
  /** BullMQ queue of pending deliveries (BullMQ adds the prefix). */
  readonly queueName = 'callbacks';

  constructor(readonly prefix: string) {}

  /** Last sequence number given to an event of a job. */
  sequence(jobId: string): string {
    return `${this.prefix}:cb:seq:${jobId}`;
  }

  /** Highest sequence of a job that is settled (delivered, or given up on): the next may go. */
  settled(jobId: string): string {
    return `${this.prefix}:cb:done:${jobId}`;
  }
}
