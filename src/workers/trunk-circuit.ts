import type { RedisConnection } from '../redis/index.js';
import { TypedEventEmitter } from '../kernel/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import {
  parseCircuitControlMessage,
  type CircuitControlMessage,
  type CircuitOpenKind,
} from './circuit-control-message.js';
import type { LuaScript } from '../redis/index.js';
import { DEFAULT_AUTH_STRIKES } from '../config/index.js';
import {
  circuitAuthFailureScript,
  circuitAuthStrikeScript,
  circuitProbeAuthNowScript,
  circuitCanDialScript,
  circuitCarrierErrorScript,
  circuitCarrierFaultScript,
  circuitResetScript,
  circuitStateScript,
  circuitSuccessScript,
} from './trunk-circuit-scripts.js';
import { checkNumber, checkTrunkName, clockArg } from './trunk-option-checks.js';
import { TrunkClosedError } from './trunk-closed-error.js';

export interface TrunkCircuitOptions {
  /** Shared connection; the circuit does not own it and never closes it. */
  redis: RedisConnection;
  keys: DialerKeys;
  trunk: string;
  /** Carrier errors in a row, fleet-wide, that open the circuit. Default 5. */
  failureThreshold?: number;
  /**
   * 403s right after our credentials, on this many different numbers in a row fleet-wide, that
   * open the circuit with kind `auth`. Default: the trunk config's `authStrikes` default (3).
   */
  authStrikes?: number;
  /** How long a carrier-trouble circuit stays open before a probe. Default 30 000. */
  openMs?: number;
  /** How long a rejected-credentials circuit stays open before a probe. Default 600 000 (10 min). */
  authOpenMs?: number;
  /**
   * Longest a half-open probe may stay unreported before another caller may probe (its worker
   * died). Longer than a ring timeout. Default 60 000.
   */
  probeLeaseMs?: number;
  /** Clock in ms for tests; default none: the scripts read Redis `TIME` (one clock for the fleet). */
  now?: () => number;
  /** Where "circuit opened/closed" lines go. Default: silent. */
  logger?: Logger;
}

export type CircuitState =
  | { readonly state: 'closed'; readonly failures: number }
  | {
      readonly state: 'open';
      readonly kind: CircuitOpenKind;
      readonly reason: string;
      readonly until: number;
    }
  | {
      readonly state: 'half-open';
      readonly kind: CircuitOpenKind;
      readonly reason: string;
      /** A probe call is out and has not reported; until when it may hold the trunk. */
      readonly probeUntil: number | null;
    };

export type DialPermission =
  | { ok: true; probe: boolean }
  | {
      ok: false;
      /** When to ask again, on the circuit's clock (Redis TIME unless injected). */
      retryAt: number;
      /** The same as a delay from now: schedule with this one, it does not depend on this machine's clock. */
      retryInMs: number;
      reason: string;
    };

export type TrunkCircuitEvents = {
  /**
   * A state change made by one of this instance's calls, as published (every instance learns of
   * every change through the control channel; see `CircuitSubscriber`).
   */
  change: [message: CircuitControlMessage];
};

/**
 * Fleet-wide circuit breaker of one trunk, in a Redis hash. Closed: dial. Open: do not dial (the
 * jobs stay queued) until `until`. Half-open: one probe call fleet-wide; its report closes or
 * reopens the circuit. Each transition is one Lua script that also publishes
 * `{ type: 'circuit', trunk, state, reason, kind?, until? }` on `keys.control`
 * (listen with `CircuitSubscriber`).
 */
export class TrunkCircuit extends TypedEventEmitter<TrunkCircuitEvents> {
  readonly trunk: string;
  readonly failureThreshold: number;
  readonly authStrikes: number;
  readonly openMs: number;
  readonly authOpenMs: number;
  readonly probeLeaseMs: number;
  readonly #redis: RedisConnection;
  readonly #keys: [hash: string];
  readonly #control: string;
  readonly #now: (() => number) | undefined;
  readonly #logger: Logger;
  #closed = false;

  constructor(options: TrunkCircuitOptions) {
    super();
    this.trunk = checkTrunkName('trunk', options.trunk);
    this.failureThreshold = checkNumber('failureThreshold', options.failureThreshold ?? 5, {
      min: 1,
      integer: true,
    });
    this.authStrikes = checkNumber('authStrikes', options.authStrikes ?? DEFAULT_AUTH_STRIKES, {
      min: 1,
      integer: true,
    });
    this.openMs = checkNumber('openMs', options.openMs ?? 30_000, { min: 0 });
    this.authOpenMs = checkNumber('authOpenMs', options.authOpenMs ?? 600_000, { min: 0 });
    this.probeLeaseMs = checkNumber('probeLeaseMs', options.probeLeaseMs ?? 60_000, { min: 1 });
    this.#redis = options.redis;
    this.#keys = [options.keys.circuit(this.trunk)];
    this.#control = options.keys.control;
    this.#now = options.now;
    this.#logger = (options.logger ?? silentLogger()).child({ trunk: this.trunk });
  }

  async state(): Promise<CircuitState> {
    const [state, failures, kind, reason, until, probeUntil] = await this.#run(circuitStateScript, []);
    if (state === 'open')
      return { state, kind: kind as CircuitOpenKind, reason: String(reason ?? ''), until: Number(until) };
    if (state === 'half-open') {
      const probe = Number(probeUntil);
      return {
        state,
        kind: kind as CircuitOpenKind,
        reason: String(reason ?? ''),
        probeUntil: probe > 0 ? probe : null,
      };
    }
    return { state: 'closed', failures: Number(failures) };
  }

  /**
   * Whether a call may be placed now. In half-open exactly one caller fleet-wide gets
   * `{ ok: true, probe: true }`; it must report with `recordSuccess`, `recordCarrierError` or
   * `recordAuthFailure`. `retryAt` is on the circuit's clock; a change is announced sooner on the
   * control channel.
   */
  async canDial(): Promise<DialPermission> {
    const [ok, probe, retryAt, reason, retryInMs] = await this.#run(circuitCanDialScript, [
      this.probeLeaseMs,
    ]);
    if (ok === 1) return { ok: true, probe: probe === 1 };
    return { ok: false, retryAt: Number(retryAt), retryInMs: Number(retryInMs), reason: String(reason) };
  }

  /** True for the one caller fleet-wide that may place the half-open probe call; false otherwise (also when closed). */
  async tryProbe(): Promise<boolean> {
    const permission = await this.canDial();
    return permission.ok && permission.probe;
  }

  /** The carrier handled a call normally (any callee outcome). Closes a half-open circuit. */
  async recordSuccess(): Promise<void> {
    await this.#run(circuitSuccessScript, []);
  }

  /** 5xx or transport timeout. After `failureThreshold` in a row fleet-wide, or a failed probe, opens for `openMs`. */
  async recordCarrierError(reason: string): Promise<void> {
    await this.#run(circuitCarrierErrorScript, [this.failureThreshold, this.openMs, reason]);
  }

  /**
   * Carrier trouble no retry of the number fixes (its TLS certificate does not verify): opens at
   * once for `openMs` with kind `carrier`, then half-open probes as for carrier errors. The jobs
   * stay queued; one warning line per opening says why.
   */
  async recordCarrierFault(reason: string): Promise<void> {
    await this.#run(circuitCarrierFaultScript, [this.openMs, reason]);
  }

  /**
   * Credentials rejected after a fresh challenge: opens at once for `authOpenMs` with kind `auth`
   * (then half-open: one probe call tests the credentials again). The jobs stay queued; an error
   * line and a `change` event say why.
   */
  async recordAuthFailure(reason: string): Promise<void> {
    await this.#run(circuitAuthFailureScript, [this.authOpenMs, reason]);
  }

  /**
   * A 403 to a request that carried our credentials, on `number`: a strike. `authStrikes`
   * different numbers in a row open the circuit with kind `auth` (an error line names the
   * carrier's status and reason); in half-open the probe failed and it reopens. Returns the
   * state after and the strikes counted so far.
   */
  async recordAuthStrike(
    reason: string,
    number: string,
  ): Promise<{ state: 'open' | 'closed'; strikes: number }> {
    const [state, strikes] = await this.#run(circuitAuthStrikeScript, [
      this.authStrikes,
      this.authOpenMs,
      reason,
      number,
    ]);
    return { state: state === 'open' ? 'open' : 'closed', strikes: Number(strikes) };
  }

  /**
   * A worker (re)started, perhaps with fixed credentials: an open `auth` circuit goes half-open so
   * one probe call tests them now. Returns the state after.
   */
  async probeAuthNow(reason: string): Promise<CircuitState['state']> {
    const [state] = await this.#run(circuitProbeAuthNowScript, [reason]);
    return state === 'half-open' || state === 'open' ? state : 'closed';
  }

  /** Operator action: closed, failure count cleared, announced to the fleet. */
  async reset(reason = 'reset by operator'): Promise<void> {
    await this.#run(circuitResetScript, [reason]);
  }

  /** The circuit holds no timers; after close every call rejects. Idempotent. */
  close(): void {
    this.#closed = true;
  }

  #announce(message: CircuitControlMessage): void {
    if (message.state === 'open' && message.kind === 'auth') {
      this.#logger.error(
        { reason: message.reason, until: message.until },
        'trunk stopped: credentials rejected; jobs stay queued until the circuit is reset, a worker restarts or a probe succeeds',
      );
    } else if (message.state === 'open') {
      this.#logger.warn(
        { reason: message.reason, until: message.until },
        'trunk paused: carrier trouble; will probe',
      );
    } else {
      this.#logger.info({ reason: message.reason }, `trunk circuit ${message.state}`);
    }
    this.emit('change', message);
  }

  /** Runs a transition and announces locally what it published; returns the reply without that. */
  async #run(script: LuaScript, args: (string | number)[]): Promise<(string | number)[]> {
    if (this.#closed) throw new TrunkClosedError(`trunk circuit for ${this.trunk} is closed`);
    const reply = (await script.run(this.#redis, this.#keys, [
      clockArg(this.#now),
      this.trunk,
      ...args,
      this.#control,
    ])) as (string | number)[];
    const published = String(reply.pop() ?? '');
    for (const line of published.split('\n')) {
      const message = line === '' ? undefined : parseCircuitControlMessage(line);
      if (message !== undefined) this.#announce(message);
    }
    return reply;
  }
}
