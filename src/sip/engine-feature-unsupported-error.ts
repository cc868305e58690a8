import { DialerError } from '../kernel/index.js';

/** The engine cannot do what was asked (for example end another process's dialog). Code: `SIP_ENGINE_FEATURE_UNSUPPORTED`. */
export class EngineFeatureUnsupportedError extends DialerError {
  readonly code = 'SIP_ENGINE_FEATURE_UNSUPPORTED';
}
