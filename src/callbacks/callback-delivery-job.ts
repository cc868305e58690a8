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
  readonly sequence: number;
}
