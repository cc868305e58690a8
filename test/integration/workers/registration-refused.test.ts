import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/log/create-logger.js';
import { startWorkerProcess } from '../../../src/cli/start-worker-process.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';

const redisUrl = inject('redisUrl');

interface LogLine {
  level: number;
  msg: string;
  status?: number;
  reason?: string;
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

function captureLog(): { lines: LogLine[]; raw: () => string; destination: Writable } {
  const lines: LogLine[] = [];
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw += chunk.toString('utf8');
      for (const text of chunk.toString('utf8').split('\n'))
        if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return { lines, raw: () => raw, destination };
}

describe('a trunk whose registration is refused', () => {
  let worker: DialerWorker | undefined;
  afterEach(async () => {
    await worker?.close(500);
    worker = undefined;
  });

  it('never registered: error at each retry with the carrier answer, and on /metrics', async () => {
    const peer = await startSipp({ scenario: 'uas-register-403.xml', calls: 10, timeoutMs: 90_000 });
    const { config } = await workerConfig({
      redisUrl,
      carrier: peer.uri,
      trunkExtra: '    register: true\n    registerExpires: 1s',
      extra: 'metrics: { listen: 127.0.0.1:0 }',
    });
    const lines: LogLine[] = [];
    let raw = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString('utf8');
        for (const text of chunk.toString('utf8').split('\n'))
          if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
        done();
      },
    });
    const started = await startWorkerProcess({
      config,
      logger: createLogger({ level: 'info', destination }),
    });
    worker = started.worker;
    const refusals = (): LogLine[] => lines.filter((l) => l.level >= 50 && l.status === 403);
    // Retried 5 s after the first refusal, then 10 s: two refusals take about 5 s.
    await waitFor(() => refusals().length >= 2, { what: 'refusals().length >= 2' });
    for (const line of refusals()) {
      expect(line.reason).toBe('Account Suspended');
      expect(line.msg).toContain('403 Account Suspended');
    }
    expect(raw).not.toContain('secret');

    const scrape = await (await fetch(String(started.metrics?.url))).text();
    expect(sample(scrape, 'dialer_trunk_registered', { trunk: 'carrier' })).toBe(0);
    expect(
      sample(scrape, 'dialer_registration_failures_total', { trunk: 'carrier', status: '403' }),
    ).toBeGreaterThanOrEqual(2);
    await peer.stop();
  }, 60_000);

  it('a binding that is refused later: error at each retry with the carrier answer, and on /metrics', async () => {
    const peer = await startSipp({ scenario: 'uas-register-then-403.xml', timeoutMs: 90_000 });
    const { config } = await workerConfig({
      redisUrl,
      carrier: peer.uri,
      trunkExtra: '    register: true\n    registerExpires: 1s',
      extra: 'metrics: { listen: 127.0.0.1:0 }',
    });
    const lines: LogLine[] = [];
    let raw = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString('utf8');
        for (const text of chunk.toString('utf8').split('\n'))
          if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
        done();
      },
    });
    const started = await startWorkerProcess({
      config,
      logger: createLogger({ level: 'info', destination }),
    });
    worker = started.worker;
    const refusals = (): LogLine[] => lines.filter((l) => l.level >= 50 && l.status === 403);
    // The first REGISTER is accepted; the refresh and every retry after it are refused.
    await waitFor(() => refusals().length >= 2, { what: 'refusals().length >= 2' });
    for (const line of refusals()) {
      expect(line.reason).toBe('Account Suspended');
      expect(line.msg).toContain('403 Account Suspended');
    }
    expect(raw).not.toContain('secret');

    const scrape = await (await fetch(String(started.metrics?.url))).text();
    expect(sample(scrape, 'dialer_trunk_registered', { trunk: 'carrier' })).toBe(0);
    expect(
      sample(scrape, 'dialer_registration_failures_total', { trunk: 'carrier', status: '403' }),
    ).toBeGreaterThanOrEqual(2);
    await peer.stop();
  }, 60_000);

  it('a carrier that does not answer REGISTER: said within seconds, then the timeout at error level', async () => {
    // Bound and never read: no answer and no ICMP "port unreachable", as with a carrier's firewall.
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const { config } = await workerConfig({
        redisUrl,
        carrier: `127.0.0.1:${silent.address().port}`,
        trunkExtra: '    register: true',
      });
      const log = captureLog();
      const starting = DialerWorker.start({
        config,
        logger: createLogger({ level: 'info', destination: log.destination }),
      });
      await waitFor(() => log.lines.some((l) => l.level === 40 && l.msg.includes('not answered REGISTER')), {
        what: "log.lines.some((l) => l.level === 40 && l.msg.includes('not answered REGISTER'))",
      });
      // Timer F is 64·T1 = 6.4 s with the test's T1 of 100 ms.
      worker = await starting;
      const failed = log.lines.find((l) => l.level >= 50 && l.msg.includes('registration failed'));
      expect(failed?.status).toBe(408);
    } finally {
      silent.close();
    }
  }, 60_000);
});
