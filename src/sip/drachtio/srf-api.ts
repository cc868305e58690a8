import { createRequire } from 'node:module';

/**
 * The part of drachtio-srf 5.0.29 this engine uses, typed from its source (lib/*.js), not from its
 * bundled d.ts: that file types `connect()` as a Promise (it returns the app), gives `request()` the
 * wrong arity, calls `cbRequest` with `(req)` when the code calls `(err, req)`, and has no
 * `SipError`, `reconnecting` event, `auth` function form or destroy `reason`
 * (see shared LIBRARIES.md §A). Everything below is what the JavaScript really does.
 */

/** A parsed Contact (or other name-addr) header, as `getParsedHeader('Contact')` returns it. */
export interface SrfNameAddr {
  readonly name?: string;
  readonly uri: string;
  readonly params: Readonly<Record<string, string | undefined>>;
}

/** What requests and responses share (lib/sip-parser/message.js through `delegates`). */
export interface SrfMessage {
  /** Header value; repeated headers are joined with `,`. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Throws when the header is absent: check `has()` first. */
  getParsedHeader(name: 'Contact' | 'contact'): SrfNameAddr[];
  /** Header name as received → value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A response to a request we sent (lib/response.js). */
export interface SrfResponse extends SrfMessage {
  readonly status: number;
  readonly reason: string;
  readonly source_address?: string;
  readonly source_port?: number | string;
}

/** A request: one we sent (`cancel`, `response`), or one in a dialog from the far end (`meta`). */
export interface SrfRequest extends SrfMessage {
  readonly method: string;
  readonly uri: string;
  readonly stackTxnId?: string;
  /** `source: 'network'` for a request from the far end, `'application'` when drachtio-server made it. */
  readonly meta?: { readonly source?: string };
  /** Sends CANCEL for this INVITE (lib/request.js). Throws synchronously when it cannot. */
  cancel(opts?: Record<string, unknown>, callback?: (err: Error | null) => void): void;
  on(event: 'response', listener: (res: SrfResponse, ack: () => void) => void): this;
  /** The credentialled re-send replaced this request (lib/drachtio-agent.js, digest client). */
  on(event: 'authenticate', listener: (req: SrfRequest) => void): this;
}

/** `auth` as a function: sees the challenge, answers with credentials or an error (no retry then). */
export type SrfAuthFunction = (
  req: SrfRequest,
  res: SrfResponse,
  callback: (err: Error | null, username?: string, password?: string) => void,
) => void;

export type SrfAuth = { readonly username: string; readonly password: string } | SrfAuthFunction;

/** An INVITE dialog (lib/dialog.js). */
export interface SrfDialog {
  readonly id: string;
  readonly sip: { readonly callId: string; readonly localTag: string; readonly remoteTag: string };
  /** drachtio-srf answers hold, unhold and listener-less offers with `local.sdp`: kept current. */
  readonly local: { sdp: string; readonly contact?: string };
  /** drachtio-srf sets it to every re-INVITE's offer before any listener runs. */
  readonly remote: { sdp: string };
  /** The 2xx that made a UAC dialog (lib/dialog.js keeps `opts.res`). */
  readonly res?: SrfResponse;
  readonly connected: boolean;
  /** BYE; resolves on its response, rejects when it cannot be sent. Removes every listener after. */
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  /** A BYE came in (200 already sent). `reason` is set when drachtio-server made the BYE itself. */
  on(event: 'destroy', listener: (req: SrfRequest, reason?: string) => void): this;
  /**
   * An INFO in the dialog. With a listener the answer is ours to send (lib/dialog.js `handle`);
   * without one drachtio-srf answers 200 and nobody sees the body.
   */
  on(event: 'info', listener: (req: SrfRequest, res: SrfServerResponse) => void): this;
  /**
   * A re-INVITE whose SDP is not a refresh, hold or unhold (with no listeners for those, every
   * re-INVITE with a body). With a listener the answer is ours; without, 200 with `local.sdp`.
   */
  on(event: 'modify', listener: (req: SrfRequest, res: SrfServerResponse) => void): this;
  /** An UPDATE; with a listener the answer is ours, without one 200 with `local.sdp`. */
  on(event: 'update', listener: (req: SrfRequest, res: SrfServerResponse) => void): this;
  removeAllListeners(): this;
}

/** Our answer to a request the far end sent in a dialog (lib/response.js). */
export interface SrfServerResponse {
  send(status: number, opts?: { headers?: Record<string, string>; body?: string }): void;
}

/** `SipError` (lib/sip_error.js): a non-2xx final response to createUAC. */
export interface SrfSipError extends Error {
  readonly name: 'SipError';
  readonly status: number;
  readonly reason?: string;
  readonly res?: SrfResponse;
}

export interface SrfConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  /** Without `retryMaxDelay` the delay grows ×1.7 with no cap (lib/wire-protocol.js). */
  readonly reconnect?: { readonly retryMaxDelay?: number; readonly maxAttempts?: number };
  readonly enablePing?: boolean;
  /** 5000–300000 ms. */
  readonly pingInterval?: number;
}

export interface SrfRequestOptions {
  readonly method: string;
  /**
   * Sends the request in this drachtio-server dialog (`Dialog#id`) instead of a new one: tags and
   * route set are the server's, and a Request-URI containing `placeholder` is replaced by the
   * dialog's remote target (sip-dialog-controller.cpp `doSendRequestInsideDialog`), as
   * drachtio-srf's own Dialog does.
   */
  readonly stackDialogId?: string;
  /** `sip:host:port;transport=tcp`: where the request goes instead of the Request-URI's host. */
  readonly proxy?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly auth?: SrfAuth;
}

export interface SrfCreateUacOptions {
  readonly localSdp: string;
  readonly proxy?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly auth?: SrfAuth;
}

export interface SrfUacCallbacks {
  /** Called as `(err, req)` despite the d.ts. */
  readonly cbRequest?: (err: Error | null, req: SrfRequest | undefined) => void;
  readonly cbProvisional?: (res: SrfResponse) => void;
}

/** The Srf instance. */
export interface SrfApi {
  /** Starts connecting and reconnecting; returns the app, not a Promise. */
  connect(opts: SrfConnectOptions): unknown;
  /** Ends the connection (throws when there is none: it asserts on the default socket). */
  disconnect(): void;
  request(uri: string, opts: SrfRequestOptions): Promise<SrfRequest>;
  /**
   * The callback runs in the same tick as the message that says the request went out, and a quick
   * answer may follow in that same read from the control socket: only a `response` listener added
   * inside the callback is sure to hear it (the Promise form resolves a tick too late).
   */
  request(
    uri: string,
    opts: SrfRequestOptions,
    callback: (err: Error | null, req: SrfRequest | undefined) => void,
  ): this;
  createUAC(uri: string, opts: SrfCreateUacOptions, callbacks: SrfUacCallbacks): Promise<SrfDialog>;
  /** `hostport` is `udp/127.0.0.1:5060,tcp/127.0.0.1:5060`; `err` when the secret was refused. */
  on(
    event: 'connect',
    listener: (err: Error | null, hostport?: string, serverVersion?: string) => void,
  ): this;
  on(event: 'reconnecting', listener: (info: { delay: number; attempt: number }) => void): this;
  on(event: 'close', listener: () => void): this;
  /** Without a listener an 'error' (refused connection, reset) crashes the process. */
  on(event: 'error', listener: (err: Error) => void): this;
  removeAllListeners(): this;
  /** Forgets a dialog so in-dialog requests for it are no longer routed to it (lib/srf.js). */
  removeDialog(dialog: SrfDialog): void;
  /** The agent's wire protocol, reached only to stop a pending reconnect timer on close. */
  readonly app?: {
    readonly client?: {
      readonly wp?: { closing?: boolean; reconnectVars?: { retryTimer?: NodeJS.Timeout | null } };
    };
  };
}

type SrfConstructor = new () => SrfApi;

const require = createRequire(import.meta.url);

/** A new, unconnected Srf. */
export function createSrf(): SrfApi {
  // The one cast: drachtio-srf is CommonJS and its bundled types are wrong (see above).
  const Srf = require('drachtio-srf') as SrfConstructor;
  return new Srf();
}

/** True for drachtio-srf's `SipError` (it is not exported in a way `instanceof` can use from ESM types). */
export function isSrfSipError(error: unknown): error is SrfSipError {
  return (
    error instanceof Error &&
    error.name === 'SipError' &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}
