import { DialerError } from '../kernel/index.js';

/** The metrics server could not listen where `metrics.listen` says (port taken, no such address). Stable code: `METRICS_LISTEN`. */
export class MetricsListenError extends DialerError {
  readonly code = 'METRICS_LISTEN';
}
