import { DialerError } from '../kernel/index.js';

/**
 * The upload stopped before its end (the client hung up, the connection broke or timed out):
 * nothing of it was committed. Code: `UPLOAD_ABORTED`.
 */
export class UploadAbortedError extends DialerError {
  readonly code = 'UPLOAD_ABORTED';

  constructor(detail: string, options?: { cause?: unknown }) {
    super(`the upload broke off before its end: ${detail}`, options);
  }
}
