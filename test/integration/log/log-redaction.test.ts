import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { startWorkerProcess } from '../../../src/cli/start-worker-process.js';
import type { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { freeTcpPort } from '../../helpers/free-port.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';

// Distinctive values: a hit can only be a leak.
const PASSWORD = 'Trunk-Pa55word-7c1e9f';
const API_TOKEN = 'api-token-3b8d0e6a91f2c4d5';
const CALLBACK_SECRET = 'cb-hmac-secret-5e2a7d9c04';
const URL_TOKEN = 'receiver-url-token-81f3a6';
const REDIS_PASSWORD = 'Redis-Pa55word-e40b6d';
const SECRETS = [PASSWORD, API_TOKEN, CALLBACK_SECRET, URL_TOKEN, REDIS_PASSWORD];

type Line = Record<string, unknown> & { msg?: string };

describe('worker logs', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;
  let redis: Redis | undefined;
  // A Redis that wants a password, as production's does: the URL carries it.
  let ownRedis: OwnRedis;
  let redisUrl: string;

  beforeAll(async () => {
    ownRedis = await OwnRedis.start({ appendonly: false, requirepass: REDIS_PASSWORD });
    redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${ownRedis.port}`;
  });
  afterAll(async () => {
    await ownRedis?.stop();
  });

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    await redis?.quit();
    worker = undefined;
    client = undefined;
    redis = undefined;
  });

  it('never carry a secret, and bind jobId, callId, trunk and campaign on the lines of a call', async () => {
    const peer = await startSipp({
      scenario: 'uas-challenge-401.xml',
      vars: { user: 'dialer1', pass: PASSWORD },
    });
    const deadPort = await freeTcpPort();
    const base = await workerConfig({
      redisUrl: 'redis://__redis__',
      carrier: peer.uri,
      extra: [
        'api: { token: "__api_token_placeholder__" }',
        // Loopback allowed, so deliveries are tried (and fail, logged) as to a real receiver.
        'callbacks: { secret: "__callback_secret_placeholder__", maxAttempts: 2, backoff: 50ms, timeout: 1s, allowPrivate: [127.0.0.1/32] }',
      ].join('\n'),
    });
    // Secrets come from the environment, as in production.
    const yaml = base.yaml
      .replace('redis://__redis__', '${REDIS_URL}')
      .replace('password: secret', 'password: ${CARRIER_PASSWORD}')
      .replace('__api_token_placeholder__', '${API_TOKEN}')
      .replace('__callback_secret_placeholder__', '${CALLBACK_SECRET}');
    expect(yaml).toContain('${CARRIER_PASSWORD}');
    const config = parseConfig(yaml, {
      CARRIER_PASSWORD: PASSWORD,
      API_TOKEN,
      CALLBACK_SECRET,
      REDIS_URL: redisUrl,
    });

    const raw: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void raw.push(s) } });
    ({ worker } = await startWorkerProcess({ config, logger }));
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    await new CampaignStore({ redis, keys: client.keys }).create(
      'redact',
      // Nothing listens there: deliveries fail and are logged, URL and all.
      { trunk: 'carrier', callbackUrl: `http://127.0.0.1:${deadPort}/hook?token=${URL_TOKEN}` },
      { state: 'running' },
    );
    const call = await client.enqueueCall({
      number: '+5534984149880',
      campaign: 'redact',
      script: { hangupAfterMs: 100 },
    });
    const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('answered');
    const callId = outcome.attempts.at(-1)?.callId;
    expect(callId).toBeTruthy();

    await waitFor(
      () => raw.some((l) => l.includes('giving up on this event') && l.includes('"event":"completed"')),
      { what: 'the completed callback given up on' },
    );
    // The same logger, handed the objects that hold secrets, as careless code might log them.
    logger.info({ config }, 'config loaded');
    logger.info({ trunk: config.trunks[0] }, 'trunk');
    logger.warn({ headers: { Authorization: `Bearer ${API_TOKEN}` }, api: config.api }, 'request refused');
    await worker.close(500);
    worker = undefined;

    const lines = raw.flatMap((chunk) => chunk.split('\n')).filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(10);
    for (const secret of SECRETS) {
      expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    }
    const parsed = lines.map((l) => JSON.parse(l) as Line);
    expect(parsed.find((l) => l.msg === 'config loaded')).toBeDefined();

    const ofCall = parsed.filter((l) => l['jobId'] === call.jobId);
    expect(ofCall.length).toBeGreaterThan(2);
    for (const line of ofCall) {
      expect(line, JSON.stringify(line)).toMatchObject({ trunk: 'carrier', campaign: 'redact' });
    }
    const answeredEnd = ofCall.find((l) => l.msg === 'attempt ended' && l['sipCode'] === 200);
    expect(answeredEnd).toMatchObject({ callId });
    expect(ofCall.find((l) => l.msg === 'final outcome')).toMatchObject({
      jobId: call.jobId,
      callId,
      trunk: 'carrier',
      campaign: 'redact',
      status: 'answered',
    });
  });
});
