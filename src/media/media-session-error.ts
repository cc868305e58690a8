import { DialerError } from '../kernel/index.js';

/**
 * A media session used wrongly (after close, a bad DTMF digit, a closed scheduler) or given bad
 * options; the message names the field and value. Stable code: `MEDIA_SESSION`.
 */
export class MediaSessionError extends DialerError {
  readonly code = 'MEDIA_SESSION';
}
