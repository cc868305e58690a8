import type { CallbackEventType } from './callback-event.js';

/** One pending delivery, as stored in the callbacks queue. */
export interface CallbackDeliveryJob {
  readonly url: string;
  /** The exact bytes that are signed and sent. */
  readonly body: string;
  readonly type: CallbackEventType;
  /** `<jobId>/<sequence>`. */
  readonly eventId: string;
  readonly jobId: string;
  /** Bound on the delivery's log lines, like every line of the call. */
  readonly trunk: string;
  readonly campaign?: string;
  readonly sequence: number;
}
