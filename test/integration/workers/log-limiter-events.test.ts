import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import { logLimiterEvents } from '../../../src/workers/log-limiter-events.js';
import { TrunkLimiter, type TrunkLimiterOptions } from '../../../src/workers/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { freshRedis, manualClock, type FreshRedis } from './fresh-redis.js';

let env: FreshRedis;
const limiters: TrunkLimiter[] = [];

beforeEach(() => {
  env = freshRedis();
});

afterEach(async () => {
  for (const limiter of limiters.splice(0)) limiter.close();
  await env.cleanup();
});

function limiter(options: Partial<TrunkLimiterOptions>): TrunkLimiter {
  const created = new TrunkLimiter({
    redis: env.connect(),
    keys: env.keys,
    trunk: 'carrier',
    cps: 10,
    maxChannels: 1,
    ...options,
  });
  limiters.push(created);
  return created;
}

function capturedLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('the worker logs what the trunk limiter reports', () => {
  it('a lost lease (fleet over its channel cap) is logged at warn with the trunk and the counts', async () => {
    const clock = manualClock();
    const holder = limiter({ now: clock.now, channelLeaseMs: 30 });
    const other = limiter({ now: clock.now, channelLeaseMs: 30 });
    const { logger, lines } = capturedLogger();
    logLimiterEvents(holder, logger);
    expect(await holder.acquireChannel('stalled')).toBe(true);
    // The worker stalled past its lease and another worker took the only channel meanwhile.
    clock.advance(1_000);
    expect(await other.acquireChannel('newcomer')).toBe(true);
    const held = holder.holdChannel('stalled');
    const line = await waitFor(() => lines.find((l) => l['leaseId'] === 'stalled'), {
      what: 'the lost-lease log line',
    });
    await held.release();
    expect(line).toMatchObject({
      level: 40,
      trunk: 'carrier',
      leaseId: 'stalled',
      channelsInUse: 1,
      maxChannels: 1,
    });
  });

  it('a throwing limiter listener is logged at error with the event it was handling', async () => {
    const clock = manualClock();
    const holder = limiter({ now: clock.now, channelLeaseMs: 30 });
    const other = limiter({ now: clock.now, channelLeaseMs: 30 });
    const { logger, lines } = capturedLogger();
    logLimiterEvents(holder, logger);
    holder.on('leaseLost', () => {
      throw new Error('observer bug');
    });
    expect(await holder.acquireChannel('stalled')).toBe(true);
    clock.advance(1_000);
    expect(await other.acquireChannel('newcomer')).toBe(true);
    const held = holder.holdChannel('stalled');
    const line = await waitFor(() => lines.find((l) => l['level'] === 50), {
      what: 'the listener-error log line',
    });
    await held.release();
    expect(line).toMatchObject({ trunk: 'carrier', event: 'leaseLost', err: { message: 'observer bug' } });
  });
});
