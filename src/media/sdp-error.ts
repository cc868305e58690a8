import { DialerError } from '../kernel/index.js';

/**
 * An SDP body we cannot use (an answer with no audio, a rejected stream, no codec in common, no
 * connection address), or bad input to the offer builder. The message names the line or field.
 * Stable code: `MEDIA_SDP`.
 */
export class SdpError extends DialerError {
  readonly code = 'MEDIA_SDP';
}
