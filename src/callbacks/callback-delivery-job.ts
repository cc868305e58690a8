import type { CallbackEventType } from './callback-event.js';
import type { CAMPAIGN_COMPLETED } from './campaign-completed-event.js';

/** One pending delivery, as stored in the callbacks queue. */
export interface CallbackDeliveryJob {
  readonly url: string;
  /** The exact bytes that are signed and sent. */
  readonly body: string;
  readonly type: CallbackEventType | typeof CAMPAIGN_COMPLETED;
  /** `<jobId>/<sequence>` (a campaign's completion: `campaign/<name>/<completedAt>`). */
  readonly eventId: string;
  /** Events of one job id are delivered in sequence order; a completion is a line of its own. */
  readonly jobId: string;
  /** Bound on the delivery's log lines, like every line of the call. */
  readonly trunk: string;
  readonly campaign?: string;
  readonly sequence: number;
}
