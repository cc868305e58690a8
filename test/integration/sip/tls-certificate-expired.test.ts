import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';
import { decideRetry, defaultRetryPolicy } from '../../../src/jobs/index.js';
import { createLogger } from '../../../src/log/index.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { TlsCertificateRejectedError } from '../../../src/sip/index.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';
import { attemptResultOf } from '../../../src/workers/attempt-result-of.js';
import { TrunkCircuit } from '../../../src/workers/index.js';
import { hasOpenssl, makeExpiredCert, makeTestPki, type TestPki } from '../../helpers/test-pki.js';
import { freshRedis, type FreshRedis } from '../workers/fresh-redis.js';
import { failureOf, SDP } from './conformance-helpers.js';

/**
 * A carrier whose TLS certificate expired (signed by the CA the trunk trusts, for the right name):
 * trouble of the trunk, not of any number. Each call fails with a stable code naming the trunk and
 * the reason, the retry policy keeps the job and stops the trunk, its circuit opens at once, and a
 * storm of such calls logs the refusal once.
 */

function lineSink(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      callback();
    },
  });
  return { lines, destination };
}

const redisUrl = inject('redisUrl');
const opensslMissing = !(await hasOpenssl());

describe.skipIf(opensslMissing)('a carrier with an expired TLS certificate', () => {
  let pki: TestPki;
  let server: tls.Server;
  let port: number;
  let env: FreshRedis;

  beforeAll(async () => {
    pki = await makeTestPki(['carrier.test'], { keep: true });
    const expired = await makeExpiredCert(pki, ['carrier.test']);
    server = tls.createServer({
      cert: await readFile(expired.certPath),
      key: await readFile(expired.keyPath),
    });
    // The handshake is all this carrier ever gets to: the client refuses it there.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    env = freshRedis();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await env?.cleanup();
    await pki?.remove();
  });

  it('fails every call with TLS_CERTIFICATE_REJECTED [CERT_HAS_EXPIRED], holds the job, opens the circuit at once, and logs it once', async () => {
    const engineLog = lineSink();
    const engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ destination: engineLog.destination, level: 'info' }),
    });
    await engine.start();
    const trunk: SipTrunk = {
      name: 'expired-carrier',
      domain: 'carrier.test',
      proxy: `127.0.0.1:${port}`,
      transport: 'tls',
      username: 'dialer1',
      password: 'do-not-log-me',
      tls: { ca: pki.caPath },
    };
    const invite = (n: number): Promise<unknown> =>
      engine.invite({ trunk, uri: `sip:55349841498${n}@carrier.test`, sdp: SDP, ringTimeoutMs: 5000 });
    try {
      // A storm: four at once, then two more one after the other.
      const failures = [
        ...(await Promise.all([0, 1, 2, 3].map((n) => failureOf(invite(n))))),
        await failureOf(invite(4)),
        await failureOf(invite(5)),
      ];

      const circuitLog = lineSink();
      const circuit = new TrunkCircuit({
        redis: env.connect(),
        keys: env.keys,
        trunk: trunk.name,
        logger: createLogger({ destination: circuitLog.destination, level: 'info' }),
      });
      for (const failure of failures) {
        expect(failure).toMatchObject({ status: 503, phase: 'transport', local: true });
        expect(failure.reason).toMatch(
          /^trunk expired-carrier: TLS certificate of 127\.0\.0\.1:\d+ rejected \(expected "carrier\.test"\): .* \[CERT_HAS_EXPIRED\]$/,
        );
        const rejected = failure.cause;
        expect(rejected).toBeInstanceOf(TlsCertificateRejectedError);
        expect(rejected).toMatchObject({
          code: 'TLS_CERTIFICATE_REJECTED',
          trunk: 'expired-carrier',
          reason: 'CERT_HAS_EXPIRED',
        });
        const result = attemptResultOf(failure);
        expect(result.errorCode).toBe('TLS_CERTIFICATE_REJECTED');
        // Not a retry of the number (every number fails the same way): kept, uncounted, trunk stopped.
        const decision = decideRetry(result, { attempt: 1, formatsLeft: 1 }, defaultRetryPolicy);
        expect(decision).toMatchObject({
          action: 'hold',
          rule: 'tls-certificate',
          status: 'unreachable',
          trunkSignal: 'carrier-fault',
        });
        // What the dial gate does with the signal (beside holding the job).
        await circuit.recordCarrierFault(decision.reason);
      }
      const state = await circuit.state();
      expect(state).toMatchObject({ state: 'open', kind: 'carrier' });
      expect(state.state === 'open' && state.reason).toMatch(/CERT_HAS_EXPIRED/);
      expect(await circuit.canDial()).toMatchObject({ ok: false });
      circuit.close();

      const refusals = engineLog.lines.filter((l) => l.includes('TLS certificate of'));
      expect(refusals.filter((l) => /"level":(40|"warn")/.test(l))).toHaveLength(1);
      const paused = circuitLog.lines.filter((l) => l.includes('trunk paused'));
      expect(paused).toHaveLength(1);
      expect(paused[0]).toContain('CERT_HAS_EXPIRED');
      for (const line of [...engineLog.lines, ...circuitLog.lines])
        expect(line).not.toContain('do-not-log-me');
    } finally {
      await engine.close();
    }
  });

  it('through a worker: a storm of numbers stops the trunk at once, every job kept (none final), the refusal and the pause each logged once', async () => {
    const NUMBERS = 8;
    const { config, prefix } = await workerConfig({
      redisUrl,
      carrier: `127.0.0.1:${port}`,
      trunkExtra: `    transport: tls\n    tls: { ca: ${pki.caPath} }`,
    });
    const log = lineSink();
    const worker = await DialerWorker.start({
      config,
      logger: createLogger({ destination: log.destination, level: 'info' }),
    });
    const client = new DialerClient({ redis: redisUrl, prefix });
    const circuit = new TrunkCircuit({ redis: client.redis, keys: client.keys, trunk: 'carrier' });
    try {
      const jobs = await client.enqueueMany(
        Array.from({ length: NUMBERS }, (_, i) => ({ number: `+55349841${String(49100 + i)}` })),
      );
      const calls = jobs.map((j) => {
        if (!j.ok) throw j.error;
        return j.call;
      });
      const ids = calls.map((c) => c.jobId);
      await waitFor(async () => (await circuit.state()).state === 'open', { what: 'the circuit opens' });
      expect(await circuit.state()).toMatchObject({ state: 'open', kind: 'carrier' });
      const queue = client.queue('carrier');
      await waitFor(async () => (await queue.getJobCounts('delayed')).delayed === NUMBERS, {
        what: `all ${NUMBERS} jobs kept for later`,
      });
      expect(
        (await Promise.all(ids.map((id) => client.getOutcome(id)))).filter((o) => o !== undefined),
      ).toEqual([]);
      const attempts = (
        await Promise.all(calls.map((c) => client.redis.hvals(client.keys.attempts(c.jobId, c.number))))
      )
        .flat()
        .map((a) => JSON.parse(a) as { errorCode?: string; trunkFault?: boolean; reason?: string });
      expect(attempts.length).toBeGreaterThan(0);
      for (const attempt of attempts) {
        expect(attempt).toMatchObject({ errorCode: 'TLS_CERTIFICATE_REJECTED', trunkFault: true });
        expect(attempt.reason).toMatch(/^trunk carrier: TLS certificate of .*\[CERT_HAS_EXPIRED\]$/);
      }
      const warnings = log.lines.filter((l) => /"level":(40|50|"warn"|"error")/.test(l));
      // The engine's refusal, and the circuit's pause (whose reason repeats it).
      expect(warnings.filter((l) => l.includes('"msg":"trunk carrier: TLS certificate of'))).toHaveLength(1);
      expect(warnings.filter((l) => l.includes('"msg":"trunk paused'))).toHaveLength(1);
      for (const line of log.lines) expect(line).not.toContain('secret');
    } finally {
      circuit.close();
      await worker.close(500);
      await client.close();
    }
  });
});
