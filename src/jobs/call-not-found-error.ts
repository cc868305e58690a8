import { DialerError } from '../kernel/index.js';

/** No queued job and no outcome under that id: 404. Code: `CALL_NOT_FOUND`. */
export class CallNotFoundError extends DialerError {
  readonly code = 'CALL_NOT_FOUND';

  constructor(readonly jobId: string) {
    super(`call ${JSON.stringify(jobId.slice(0, 200))}: no such job or outcome`);
  }
}
