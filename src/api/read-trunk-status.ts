import type { RedisConnection } from '../redis/index.js';
import type { TrunkConfig } from '../config/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { streamField } from './stream-field.js';

/** What the fleet's shared state in Redis says about one trunk. No secrets. */
export interface TrunkStatus {
  readonly name: string;
  readonly domain: string;
  readonly register: boolean;
  /** When a worker serving it last started (the trunk directory); absent when none has. */
  readonly publishedAt?: number;
  readonly circuit: {
    /** `closed`, `open`, `half-open`; an `open` past its `until` is shown `half-open` as the next look makes it. */
    readonly state: string;
    readonly kind?: string;
    readonly reason?: string;
    readonly until?: number;
    readonly openedAt?: number;
    readonly failures: number;
  };
  readonly pace: {
    readonly configuredCps: number;
    /** The fleet's pace now; the configured one while nothing slowed it. */
    readonly currentCps: number;
    /** The carrier's limit as learned from its refusals, when one was. */
    readonly learnedCps?: number;
    readonly reason?: string;
  };
  readonly channels: { readonly inUse: number; readonly max: number };
  /** SIP codes of the attempts among the newest outcomes, most frequent first. */
  readonly recentCodes: ReadonlyArray<{ readonly code: string; readonly count: number }>;
  readonly jobsHeld: number;
}

const RECENT_OUTCOMES = 2000;

/**
 * Reads each configured trunk's fleet state: the circuit hash, the limiter's pace hash and channel
 * leases (a sorted set scored by lease expiry), the jobs its circuit holds, the trunk directory,
 * and the SIP codes of its newest outcomes. Read-only: it never moves a circuit or a pace.
 * Registration state is not kept in Redis (each worker registers on its own); the page says so.
 */
export async function readTrunkStatus(
  redis: RedisConnection,
  keys: DialerKeys,
  trunks: readonly TrunkConfig[],
  now = Date.now(),
): Promise<TrunkStatus[]> {
  const codes = await recentCodes(redis, keys);
  const directory = await redis.hgetall(keys.trunks);
  const out: TrunkStatus[] = [];
  for (const trunk of trunks) {
    const limiter = keys.trunkLimiter(trunk.name);
    const [circuit, pace, inUse, held] = await Promise.all([
      redis.hgetall(keys.circuit(trunk.name)),
      redis.hgetall(limiter.pace),
      redis.zcount(limiter.channels, `(${now}`, '+inf'),
      redis.scard(keys.circuitHeld(trunk.name)),
    ]);
    const until = num(circuit['until']);
    let state = circuit['state'] ?? 'closed';
    if (state === 'open' && until !== undefined && until <= now) state = 'half-open';
    const published = directory[trunk.name];
    const publishedAt =
      published === undefined
        ? undefined
        : num(String((JSON.parse(published) as { publishedAt?: number }).publishedAt));
    const learned = num(pace['ceiling']);
    out.push({
      name: trunk.name,
      domain: trunk.domain,
      register: trunk.register === true,
      ...(publishedAt !== undefined && { publishedAt }),
      circuit: {
        state,
        ...(circuit['kind'] && { kind: circuit['kind'] }),
        ...(circuit['reason'] && { reason: circuit['reason'] }),
        ...(until !== undefined && until > 0 && { until }),
        ...(num(circuit['openedAt']) !== undefined && { openedAt: num(circuit['openedAt']) as number }),
        failures: num(circuit['failures']) ?? 0,
      },
      pace: {
        configuredCps: trunk.cps,
        currentCps: num(pace['cps']) ?? trunk.cps,
        ...(learned !== undefined && { learnedCps: learned }),
        ...(pace['reason'] && { reason: pace['reason'] }),
      },
      channels: { inUse, max: trunk.maxChannels },
      recentCodes: [...(codes.get(trunk.name) ?? new Map<string, number>()).entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([code, count]) => ({ code, count })),
      jobsHeld: held,
    });
  }
  return out;
}

async function recentCodes(
  redis: RedisConnection,
  keys: DialerKeys,
): Promise<Map<string, Map<string, number>>> {
  const entries = (await redis.xrevrange(keys.outcomes, '+', '-', 'COUNT', RECENT_OUTCOMES)) as Array<
    [string, string[]]
  >;
  const byTrunk = new Map<string, Map<string, number>>();
  for (const [, fields] of entries) {
    const json = streamField(fields, 'outcome');
    if (json === undefined) continue;
    const o = JSON.parse(json) as { trunk?: string; attempts?: Array<{ sipCode?: number }> };
    if (o.trunk === undefined) continue;
    const tally = byTrunk.get(o.trunk) ?? new Map<string, number>();
    for (const a of o.attempts ?? []) {
      const code = a.sipCode === undefined ? 'no answer from the carrier' : String(a.sipCode);
      tally.set(code, (tally.get(code) ?? 0) + 1);
    }
    byTrunk.set(o.trunk, tally);
  }
  return byTrunk;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
