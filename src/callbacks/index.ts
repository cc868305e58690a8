export {
  CALLBACK_EVENT_TYPES,
  callbackEventOf,
  isCallbackEvent,
  type CallbackEvent,
  type CallbackEventType,
} from './callback-event.js';
export { CallbackDeliveryError } from './callback-delivery-error.js';
export type { CallbackDeliveryJob } from './callback-delivery-job.js';
export { CallbackKeys } from './callback-keys.js';
export { CallbackPublisher, type CallbackPublisherOptions } from './callback-publisher.js';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signCallback,
  verifyCallbackSignature,
  type VerifyCallbackInput,
} from './callback-signature.js';
export { CallbackWorker, type CallbackWorkerOptions } from './callback-worker.js';
export {
  createCallbackAgents,
  deliverCallback,
  type CallbackAgents,
  type DeliverCallbackInput,
} from './deliver-callback.js';
export { StatusCallbacks, type StatusCallbacksOptions } from './status-callbacks.js';
export { CAMPAIGN_COMPLETED, type CampaignCompletedEvent } from './campaign-completed-event.js';
