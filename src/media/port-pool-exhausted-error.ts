import { DialerError } from '../kernel/index.js';

/**
 * Every RTP port pair of the pool is leased. The caller should not dial (or should wait for a
 * call to end): the pool never grows, by design. Stable code: `MEDIA_PORTS_EXHAUSTED`.
 */
export class PortPoolExhaustedError extends DialerError {
  readonly code = 'MEDIA_PORTS_EXHAUSTED';
  /** Number of pairs the pool holds (all of them leased). */
  readonly size: number;

  constructor(message: string, size: number) {
    super(message);
    this.size = size;
  }
}
