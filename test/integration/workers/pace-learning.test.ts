import { afterEach, describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { startWorkerProcess } from '../../../src/cli/start-worker-process.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { CpsLimitedCarrier } from '../../helpers/cps-limited-carrier.js';
import { startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';

const redisUrl = inject('redisUrl');

const CARRIER_LIMIT = 5;
const TRUNK_CPS = 20;
/** Calls the carrier must have taken before the run is judged: about 20 s at its limit. */
const ACCEPTED = 100;

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('trunk pace against a carrier that refuses above its real limit', () => {
  let worker: DialerWorker | undefined;
  let other: DialerWorker | undefined;
  let client: DialerClient | undefined;
  let carrier: CpsLimitedCarrier | undefined;

  afterEach(async () => {
    await Promise.all([worker?.close(500), other?.close(500)]);
    await client?.close();
    await carrier?.close();
    worker = other = client = carrier = undefined;
  });

  it('two workers converge to what the carrier accepts: few 503s, the learned ceiling near its limit, on /metrics', async () => {
    const uas = await startSipp({ scenario: 'uas-answer.xml', calls: 10_000, timeoutMs: 300_000 });
    carrier = await CpsLimitedCarrier.start({ target: uas.uri, limit: CARRIER_LIMIT });
    const { config } = await workerConfig({
      redisUrl,
      carrier: carrier.uri,
      cps: TRUNK_CPS,
      maxChannels: 20,
      extra: 'metrics: { listen: 127.0.0.1:0 }',
    });
    // A second worker process of the fleet (same Redis and prefix, its own SIP address): the
    // carrier's limit is for the trunk, so what one learns must pace both.
    const second = await workerConfig({
      redisUrl,
      carrier: carrier.uri,
      cps: TRUNK_CPS,
      maxChannels: 20,
      prefix: config.queuePrefix,
    });
    const started = await startWorkerProcess({ config, logger: silentLogger() });
    worker = started.worker;
    other = await DialerWorker.start({ config: second.config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    // A backlog the configured pace could not drain in the run: the pace, not the queue, limits.
    const jobs = await client.enqueueMany(
      Array.from({ length: 3 * ACCEPTED }, (_, i) => ({
        number: `+55349841${String(i).padStart(5, '0')}`,
        script: { hangupAfterMs: 0 },
      })),
    );
    expect(jobs.every((j) => j.ok)).toBe(true);
    const accepted = (): number => carrier!.invites.filter((i) => i.accepted).length;
    await waitFor(() => accepted() >= ACCEPTED, {
      what: `${ACCEPTED} calls taken by the carrier`,
      timeoutMs: 240_000,
    });

    expect(new Set(carrier.invites.map((i) => i.from)).size, 'INVITEs from both workers').toBe(2);
    const invites = carrier.invites.length;
    const refused = carrier.invites.filter((i) => !i.accepted).length;
    // Halving on each 503 and climbing back refuses well over 10 % here (14 % in the bench); a pace
    // that learned the limit refuses only while it finds it and when it probes above.
    expect(refused / invites, `${refused} of ${invites} INVITEs got 503`).toBeLessThan(0.08);

    const url = started.metrics?.url;
    expect(url).toBeDefined();
    const metrics = await (await fetch(url!)).text();
    const learned = sample(metrics, 'dialer_trunk_learned_cps');
    const pace = sample(metrics, 'dialer_trunk_cps');
    expect(sample(metrics, 'dialer_trunk_configured_cps')).toBe(TRUNK_CPS);
    expect(learned, metrics).toBeGreaterThanOrEqual(3);
    expect(learned).toBeLessThanOrEqual(7);
    expect(pace).toBeGreaterThanOrEqual(3);
    expect(pace).toBeLessThanOrEqual(7);
  }, 300_000);
});
