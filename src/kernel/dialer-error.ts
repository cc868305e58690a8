/**
 * Base class of every error the dialer raises on purpose. `code` is stable and documented:
 * callers branch on it, never on `message`.
 */
export abstract class DialerError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
