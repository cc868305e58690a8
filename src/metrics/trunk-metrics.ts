import { Counter, Gauge, type Registry } from 'prom-client';
import type { RegistrationState } from '../sip/index.js';
import { withTimeout } from './with-timeout.js';

/** What trunk metrics read from a trunk runtime. */
export interface TrunkSource {
  readonly name: string;
  readonly registrationState: RegistrationState | 'disabled';
  /** Failed registration attempts since start, by SIP status (`error`: no SIP answer). */
  readonly registrationFailures: ReadonlyMap<string, number>;
  readonly circuit: {
    state(): Promise<{ readonly state: 'closed' | 'open' | 'half-open'; readonly kind?: string }>;
  };
  readonly limiter: {
    paceState(): Promise<{ readonly cps: number; readonly configuredCps: number; readonly ceiling?: number }>;
    channelsInUse(): Promise<number>;
  };
}

export interface TrunkMetricsOptions {
  readonly trunks: () => Iterable<TrunkSource>;
  /** A Redis read that takes longer is left out of the scrape. Default: 2000 ms. */
  readonly timeoutMs?: number;
}

export const REGISTRATION_STATES = [
  'disabled',
  'registering',
  'registered',
  'failed',
  'unregistered',
] as const;
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
export const CIRCUIT_KINDS = ['auth', 'carrier'] as const;

/**
 * Registration and circuit state as enum gauges (1 for the current state, 0 for the others, so
 * `dialer_trunk_circuit_state{state="open"} == 1` alerts), plus the fleet-wide pace and channels
 * in use. Circuit and limiter are read from Redis when scraped.
 */
export function registerTrunkMetrics(registry: Registry, options: TrunkMetricsOptions): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  const registers = [registry];
  new Gauge({
    name: 'dialer_trunk_registration_state',
    help: 'SIP registration state of a trunk in this process (1: current state)',
    labelNames: ['trunk', 'state'],
    registers,
    collect() {
      this.reset();
      for (const trunk of options.trunks()) {
        for (const state of REGISTRATION_STATES)
          this.set({ trunk: trunk.name, state }, trunk.registrationState === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'dialer_trunk_registered',
    help: 'Whether a trunk that registers is registered in this process now (1) or not (0)',
    labelNames: ['trunk'],
    registers,
    collect() {
      this.reset();
      for (const trunk of options.trunks())
        if (trunk.registrationState !== 'disabled')
          this.set({ trunk: trunk.name }, trunk.registrationState === 'registered' ? 1 : 0);
    },
  });
  new Counter({
    name: 'dialer_registration_failures_total',
    help: 'Failed registration attempts of a trunk in this process, by SIP status (error: no SIP answer)',
    labelNames: ['trunk', 'status'],
    registers,
    collect() {
      this.reset();
      for (const trunk of options.trunks())
        for (const [status, count] of trunk.registrationFailures)
          this.inc({ trunk: trunk.name, status }, count);
    },
  });
  new Gauge({
    name: 'dialer_trunk_circuit_state',
    help: 'Fleet-wide circuit breaker state of a trunk (1: current state)',
    labelNames: ['trunk', 'state'],
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        [...options.trunks()].map(async (trunk) => {
          const circuit = await withTimeout(trunk.circuit.state(), timeoutMs, undefined);
          if (!circuit) return;
          for (const state of CIRCUIT_STATES)
            this.set({ trunk: trunk.name, state }, circuit.state === state ? 1 : 0);
        }),
      );
    },
  });
  new Gauge({
    name: 'dialer_trunk_circuit_open_kind',
    help: 'Why a trunk circuit is open or half-open, fleet-wide: auth (credentials refused, or 403s after them) or carrier (5xx, timeouts); 1: that cause',
    labelNames: ['trunk', 'kind'],
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        [...options.trunks()].map(async (trunk) => {
          const circuit = await withTimeout(trunk.circuit.state(), timeoutMs, undefined);
          if (!circuit) return;
          for (const kind of CIRCUIT_KINDS)
            this.set(
              { trunk: trunk.name, kind },
              circuit.state !== 'closed' && circuit.kind === kind ? 1 : 0,
            );
        }),
      );
    },
  });
  const paceGauge = (
    name: string,
    help: string,
    pick: (pace: { cps: number; configuredCps: number; ceiling?: number }) => number | undefined,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['trunk'],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          [...options.trunks()].map(async (trunk) => {
            const pace = await withTimeout(trunk.limiter.paceState(), timeoutMs, undefined);
            const value = pace === undefined ? undefined : pick(pace);
            if (value !== undefined) this.set({ trunk: trunk.name }, value);
          }),
        );
      },
    });
  };
  paceGauge(
    'dialer_trunk_cps',
    'Fleet-wide pace of a trunk now, calls per second (below the configured cps after carrier 503s)',
    (pace) => pace.cps,
  );
  paceGauge(
    'dialer_trunk_configured_cps',
    'Calls per second the trunk is configured for',
    (pace) => pace.configuredCps,
  );
  paceGauge(
    'dialer_trunk_learned_cps',
    "Carrier's limit learned from its 503s, calls per second, as it stands now (absent: none learned)",
    (pace) => pace.ceiling,
  );
  new Gauge({
    name: 'dialer_trunk_channels_in_use',
    help: 'Concurrent calls on a trunk, fleet-wide',
    labelNames: ['trunk'],
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        [...options.trunks()].map(async (trunk) => {
          const used = await withTimeout(trunk.limiter.channelsInUse(), timeoutMs, undefined);
          if (used !== undefined) this.set({ trunk: trunk.name }, used);
        }),
      );
    },
  });
}
