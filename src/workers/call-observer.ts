import type { RedisConnection } from '../redis/index.js';
import type { CallLifecycleEvent, CampaignRecord } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import type { RtpPortPool } from '../media/index.js';
import type { SipEngine } from '../sip/index.js';
import type { TrunkRuntime } from './trunk-runtime.js';

/**
 * Something that watches a worker's calls (status callbacks, metrics). The worker subscribes it
 * to its `call` events and closes it once its calls are over; it never knows what it is.
 */
export interface CallObserver {
  /** Names the observer in the worker's logs (shutdown steps, a listener that threw). */
  readonly name: string;
  /** Every lifecycle event of every call. Returns at once: the call path never waits on it. */
  observe(event: CallLifecycleEvent): void;
  /** Idempotent. */
  close(): Promise<void>;
}

/** What a worker lends its observers as they start: its parts, to read, not to drive. */
export interface ObservedWorker {
  /** The worker's shared command connection. */
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly trunks: readonly TrunkRuntime[];
  readonly ports: RtpPortPool;
  readonly engine: SipEngine;
  /** A campaign as the worker sees it (kept fresh by control messages). */
  readonly campaign: (name: string) => Promise<CampaignRecord | undefined>;
  readonly logger: Logger;
}

/**
 * Starts one observer, once the worker's parts exist and before its first call. The composition
 * root (the `dialer worker` command) chooses them; a start that throws fails the worker's start.
 */
export type CallObserverStart = (worker: ObservedWorker) => CallObserver | Promise<CallObserver>;
