export { createApiServer, type ApiServer, type ApiServerOptions, type MetricsSource } from './api-server.js';
export { AUTH_COOKIE, tokenMatches } from './bearer-auth.js';
export {
  browserSessionValue,
  checkBrowserSession,
  csrfTokenFor,
  csrfTokenMatches,
  type BrowserSessionCheck,
} from './browser-session.js';
export { httpErrorResponse, type ApiErrorBody } from './http-error-response.js';
export { ApiRequestError } from './api-request-error.js';
export { BodyTooLargeError } from './body-too-large-error.js';
export { readCampaignSummary, type CampaignSummary } from './campaign-summary.js';
export {
  readPostDialDelaySeries,
  type PostDialDelayPoint,
  type PostDialDelaySeries,
} from './post-dial-delay-series.js';
export { renderCampaignPage, type CampaignPageInput } from './campaign-page.js';
export { redactUrl } from './redact-url.js';
