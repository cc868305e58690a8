/** Bounds on connections others open to our SIP TCP listener. */
export interface TcpLimits {
  /** An accepted connection with no complete message for this long is closed, ms. */
  readonly idleTimeoutMs: number;
  /** Accepted connections one remote address may hold; more are closed at once. */
  readonly maxConnectionsPerAddress: number;
  /** Accepted connections in all; more are closed at once. */
  readonly maxConnections: number;
}

/** Why an accepted connection was closed by us. */
export type TcpCloseReason = 'idle' | 'per-address' | 'total';
