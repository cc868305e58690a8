import { DialerError } from '../kernel/index.js';

/** The configured engine cannot run here. Code: `SIP_ENGINE_UNAVAILABLE`. */
export class EngineUnavailableError extends DialerError {
  readonly code = 'SIP_ENGINE_UNAVAILABLE';
}
