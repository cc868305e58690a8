import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  freshSrtpKey,
  MediaScheduler,
  RtpSession,
  type RtpPortPool,
  type SrtpKeyMaterial,
} from '../../../src/media/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { openTestPool } from './open-test-pool.js';

const pools: RtpPortPool[] = [];
const sessions: RtpSession[] = [];
let scheduler: MediaScheduler | undefined;

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  scheduler?.close();
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function pair(
  aKeys: { outbound: SrtpKeyMaterial; inbound: SrtpKeyMaterial },
  bKeys: { outbound: SrtpKeyMaterial; inbound: SrtpKeyMaterial },
  bLog: string[],
): Promise<[RtpSession, RtpSession]> {
  const pool = await openTestPool(2);
  pools.push(pool);
  scheduler = new MediaScheduler();
  const [a, b] = [pool.lease(), pool.lease()];
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        bLog.push(chunk.toString());
        done();
      },
    }),
  });
  const common = {
    codec: { name: 'PCMU', payloadType: 0 },
    scheduler,
    deadAfterMs: 0,
    rtcpIntervalMs: 200,
  } as const;
  const sa = new RtpSession({
    ...common,
    lease: a,
    remote: { address: b.address, port: b.rtpPort },
    srtp: aKeys,
  });
  const sb = new RtpSession({
    ...common,
    lease: b,
    remote: { address: a.address, port: a.rtpPort },
    srtp: bKeys,
    logger,
  });
  sessions.push(sa, sb);
  return [sa.start(), sb.start()];
}

describe('SRTP between two RtpSessions on real sockets', () => {
  it('with matching keys, RTP and RTCP get through both ways and the reports are read', async () => {
    const k1 = freshSrtpKey('AES_CM_128_HMAC_SHA1_80');
    const k2 = freshSrtpKey('AES_CM_128_HMAC_SHA1_32');
    const [sa, sb] = await pair({ outbound: k1, inbound: k2 }, { outbound: k2, inbound: k1 }, []);
    await waitFor(() => sa.stats.packetsReceived >= 10 && sb.stats.packetsReceived >= 10, {
      what: 'media both ways',
    });
    await waitFor(() => sa.stats.rtcpReceived >= 1 && sb.stats.rtcpReceived >= 1, {
      what: 'SRTCP both ways',
    });
    expect(sb.stats.srtp).toEqual({ suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: 0, replayed: 0 });
    expect(sb.stats.remoteReport).toBeDefined();
  });

  it('with the wrong key every packet is dropped and counted, with one warning that names no key', async () => {
    const right = freshSrtpKey('AES_CM_128_HMAC_SHA1_80');
    const wrong = freshSrtpKey('AES_CM_128_HMAC_SHA1_80');
    const log: string[] = [];
    const [sa, sb] = await pair(
      { outbound: right, inbound: right },
      { outbound: right, inbound: wrong },
      log,
    );
    await waitFor(() => (sb.stats.srtp?.authFailures ?? 0) >= 20, { what: '20 refused packets' });
    expect(sb.stats.packetsReceived).toBe(0);
    expect(sb.stats.rtcpReceived).toBe(0);
    expect(sa.stats.packetsReceived).toBeGreaterThan(0); // the other direction is fine
    // Rate-limited: the first failure warns, the next ones are only counted.
    expect(log.filter((l) => l.includes('authentication failed'))).toHaveLength(1);
    const secrets = [right, wrong].flatMap((k) => [
      Buffer.concat([k.masterKey, k.masterSalt]).toString('base64'),
      k.masterKey.toString('hex'),
    ]);
    for (const s of secrets) expect(log.join('')).not.toContain(s);
  });
});
