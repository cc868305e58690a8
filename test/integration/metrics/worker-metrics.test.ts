import { afterEach, describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { startWorkerProcess } from '../../../src/cli/start-worker-process.js';
import type { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');

/** The value of one series in Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('worker /metrics', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  it('serves call, trunk, port, queue and process metrics from a live worker', async () => {
    const peer = await startSipp({ scenario: 'uas-404-plus-numbers.xml', calls: 2 });
    const { config } = await workerConfig({
      redisUrl,
      carrier: peer.uri,
      extra: 'metrics: { listen: 127.0.0.1:0 }',
    });
    const started = await startWorkerProcess({ config, logger: silentLogger() });
    worker = started.worker;
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    const url = started.metrics?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scrape = async (): Promise<string> => {
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return res.text();
    };

    const before = await scrape();
    expect(sample(before, 'dialer_trunk_registration_state', { trunk: 'carrier', state: 'disabled' })).toBe(
      1,
    );
    expect(sample(before, 'dialer_trunk_circuit_state', { trunk: 'carrier', state: 'closed' })).toBe(1);
    expect(sample(before, 'dialer_trunk_circuit_state', { trunk: 'carrier', state: 'open' })).toBe(0);
    expect(sample(before, 'dialer_trunk_cps', { trunk: 'carrier' })).toBe(50);
    expect(sample(before, 'dialer_trunk_configured_cps', { trunk: 'carrier' })).toBe(50);
    // No 503 yet: nothing learned, so no sample rather than a made-up figure.
    expect(sample(before, 'dialer_trunk_learned_cps', { trunk: 'carrier' })).toBeUndefined();
    const total = sample(before, 'dialer_rtp_ports_total');
    expect(total).toBeGreaterThan(0);
    expect(sample(before, 'dialer_rtp_ports_free')).toBe(total);
    expect(sample(before, 'dialer_queue_jobs', { queue: 'calls-carrier', state: 'waiting' })).toBe(0);
    expect(sample(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    // A call held up by the script: scraped while answered, then again once it is over.
    const answered = new Promise<void>((resolve) =>
      worker!.on('call', (e) => {
        if (e.type === 'answered') resolve();
      }),
    );
    const call = await client.enqueueCall({ number: '+5534984149880', script: { hangupAfterMs: 1500 } });
    await answered;
    const during = await scrape();
    expect(sample(during, 'dialer_active_calls', { trunk: 'carrier' })).toBe(1);
    expect(sample(during, 'dialer_rtp_ports_free')).toBe(total! - 1);
    expect(sample(during, 'dialer_trunk_channels_in_use', { trunk: 'carrier' })).toBe(1);
    expect(sample(during, 'dialer_queue_jobs', { queue: 'calls-carrier', state: 'active' })).toBe(1);
    const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('answered');
    await client.enqueueCall({ number: '+5534999990001' }, { delayMs: 600_000 });

    const after = await scrape();
    expect(sample(after, 'dialer_active_calls', { trunk: 'carrier' })).toBe(0);
    expect(
      sample(after, 'dialer_calls_completed_total', {
        trunk: 'carrier',
        status: 'answered',
        sip_code: '200',
      }),
    ).toBe(1);
    // The reference case: +55… refused with 404, the digits form answered.
    expect(sample(after, 'dialer_call_attempts_total', { trunk: 'carrier', sip_code: '404' })).toBe(1);
    expect(sample(after, 'dialer_call_attempts_total', { trunk: 'carrier', sip_code: '200' })).toBe(1);
    expect(sample(after, 'dialer_post_dial_delay_seconds_count', { trunk: 'carrier' })).toBe(1);
    expect(sample(after, 'dialer_call_setup_seconds_count', { trunk: 'carrier' })).toBe(1);
    expect(sample(after, 'dialer_rtp_ports_free')).toBe(total);
    expect(sample(after, 'dialer_queue_jobs', { queue: 'calls-carrier', state: 'delayed' })).toBe(1);
    expect(sample(after, 'dialer_queue_rate_limit_seconds', { queue: 'calls-carrier' })).toBe(0);

    expect((await fetch(url!.replace('/metrics', '/other'))).status).toBe(404);
    await worker.close(500);
    await expect(fetch(url!)).rejects.toThrow();
    await peer.stop();
  });

  it('builds the registry without a server when metrics has no listen, and none without the section', async () => {
    const peer = await startSipp({ scenario: 'uas-answer.xml' });
    const { config } = await workerConfig({ redisUrl, carrier: peer.uri, extra: 'metrics: {}' });
    const started = await startWorkerProcess({ config, logger: silentLogger() });
    worker = started.worker;
    expect(started.metrics?.url).toBeUndefined();
    expect(await started.metrics?.registry.metrics()).toContain('dialer_rtp_ports_free');
    await worker.close(500);
    const plain = await workerConfig({ redisUrl, carrier: peer.uri });
    const plainStarted = await startWorkerProcess({ config: plain.config, logger: silentLogger() });
    worker = plainStarted.worker;
    expect(plainStarted.metrics).toBeUndefined();
    await peer.stop();
  });
});
