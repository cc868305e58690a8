import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../src/api/index.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import type { EnqueueCallInput } from '../../../src/jobs/validate-job-input.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { startSipp, type SippPeer } from '../../helpers/sipp.js';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');
const TOKEN = 'edge-token-7c1d0f3e9a';
const GOOD = '+5534984149880';

/** Hostile input, the field the refusal must name, and whether the CLI can even express it. */
const HOSTILE: ReadonlyArray<{ what: string; input: EnqueueCallInput; field: string; cli?: string[] }> = [
  {
    what: 'CR/LF in caller ID',
    input: { number: GOOD, callerId: '+5534999990000\r\nX-Evil: 1' },
    field: 'callerId',
  },
  { what: 'NUL in caller ID', input: { number: GOOD, callerId: '+553499999\u00000000' }, field: 'callerId' },
  {
    what: 'LF in caller ID (display name)',
    input: { number: GOOD, callerId: 'ACME\nINVITE sip:x' },
    field: 'callerId',
  },
  {
    what: 'CR/LF in a custom header',
    input: { number: GOOD, headers: { 'X-Tag': 'a\r\nVia: SIP/2.0/UDP evil.example' } },
    field: 'headers.X-Tag',
  },
  {
    what: 'NUL in a custom header',
    input: { number: GOOD, headers: { 'X-Tag': 'a\u0000b' } },
    field: 'headers.X-Tag',
  },
  {
    what: 'CR/LF in a header name',
    input: { number: GOOD, headers: { 'X-A\r\nVia': '1' } },
    field: 'headers.X-A\r\nVia',
  },
  // Compact forms (RFC 3261 §7.3.3) of headers the engine writes: a second Call-ID, Via, From…
  ...(['i', 'v', 'f', 't', 'm', 'c', 'K', 'L'] as const).map((name) => ({
    what: `the compact header ${name}`,
    input: { number: GOOD, headers: { [name]: `<sip:evil@evil.example>;compact-${name}` } },
    field: `headers.${name}`,
  })),
  {
    what: 'one header named twice, in full and compact form',
    input: { number: GOOD, headers: { Subject: 'a', s: 'evil.example' } },
    field: 'headers.s',
  },
  {
    what: 'CR/LF in metadata',
    input: { number: GOOD, metadata: { crm: { note: 'a\r\nX-Evil: 1' } } },
    field: 'metadata.crm.note',
  },
  { what: 'NUL in a metadata key', input: { number: GOOD, metadata: { 'k\u0000': 1 } }, field: 'metadata' },
  { what: 'a SIP URI as number', input: { number: '1234@evil.example;transport=tcp' }, field: 'number' },
  { what: 'URI parameters in number', input: { number: '1234;user=phone>' }, field: 'number' },
  { what: 'E.164 plus a host', input: { number: `${GOOD}@evil.example` }, field: 'number' },
  { what: 'a full sip: URI', input: { number: `sip:${GOOD}@evil.example;transport=tcp` }, field: 'number' },
  { what: 'a number with ;transport', input: { number: `${GOOD};transport=tcp` }, field: 'number' },
  { what: 'CR/LF in number', input: { number: `${GOOD}\r\nX-Evil: 1` }, field: 'number' },
  { what: 'a 100 000-digit number', input: { number: '9'.repeat(100_000) }, field: 'number' },
  {
    what: 'a 100 000-character caller ID',
    input: { number: GOOD, callerId: '1'.repeat(100_000) },
    field: 'callerId',
  },
  {
    what: 'a 1 MB header value',
    input: { number: GOOD, headers: { 'X-Big': 'a'.repeat(1 << 20) } },
    field: 'headers.X-Big',
  },
  {
    what: '1 MB of metadata',
    input: { number: GOOD, metadata: { blob: 'a'.repeat(1 << 20) } },
    field: 'metadata',
  },
];

describe('hostile input is refused at the edge and never reaches the wire', () => {
  let peer: SippPeer;
  let worker: DialerWorker;
  let client: DialerClient;
  let api: ApiServer;
  let configFile: string;

  beforeAll(async () => {
    peer = await startSipp({ scenario: 'uas-answer.xml', calls: 1, timeoutMs: 120_000 });
    const { config, yaml } = await workerConfig({ redisUrl, carrier: peer.uri, maxCallLength: '1s' });
    configFile = await writeConfigFile(`${yaml}\napi: { token: "${TOKEN}" }\n`);
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    api = await createApiServer({
      config: parseConfig(`${yaml}\napi: { token: "${TOKEN}" }\n`, {}),
      logger: silentLogger(),
    });
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close(500);
    await client?.close();
  });

  it.each(HOSTILE)('library: $what → refused naming $field', async ({ input, field }) => {
    const error = await client.enqueueCall(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as { field?: string }).field ?? String(error)).toContain(field);
    // The message stays readable: a 1 MB value is not echoed back whole.
    expect(String((error as Error).message).length).toBeLessThan(2000);
  });

  it.each(HOSTILE)('HTTP: $what → 400 naming $field', async ({ input, field }) => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: input,
    });
    // A body over the API's limit would be 413; these are all under its default 50 MB.
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(JSON.stringify(field).slice(1, -1).split('\\')[0] as string);
  });

  it.each(HOSTILE.filter((h) => h.input.headers === undefined && h.input.metadata === undefined))(
    'CLI: $what → exit 1 naming $field',
    async ({ input, field }) => {
      let err = '';
      const args = ['call', input.number, '--config', configFile];
      if (input.callerId !== undefined) args.push('--caller-id', input.callerId);
      const code = await runCli(args, { env: {}, out: () => undefined, err: (t) => (err += t) });
      expect(code).not.toBe(0);
      expect(err).toContain(field);
    },
  );

  it('a campaign caller ID with CR/LF is refused naming callerId', async () => {
    const store = new CampaignStore({ redis: client.redis, keys: client.keys });
    await expect(
      store.create('edge-evil', { trunk: 'carrier', callerId: '+55349\r\nX-Evil: 1' }),
    ).rejects.toThrow(/callerId/);
  });

  it('the carrier saw exactly one INVITE: the good call enqueued after all of the above', async () => {
    const call = await client.enqueueCall({ number: GOOD, script: { hangupAfterMs: 200 } });
    const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('answered');
    expect(await peer.waitForExit()).toBe(0);
    const wire = await peer.messages();
    const invites = wire.filter((m) => m.direction === 'received' && m.method === 'INVITE');
    expect(invites).toHaveLength(1);
    expect(invites[0]?.requestUri).toContain('5534984149880');
    // Each header the engine owns appears once, under any spelling.
    const names = (invites[0]?.raw ?? '')
      .split(/\r?\n\r?\n/)[0]
      ?.split(/\r?\n/)
      .slice(1)
      .map((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase())
      .map(
        (name) =>
          ({ i: 'call-id', v: 'via', f: 'from', t: 'to', m: 'contact', c: 'content-type' })[name] ?? name,
      );
    for (const owned of ['call-id', 'via', 'from', 'to', 'contact', 'content-type', 'supported']) {
      expect(
        names?.filter((n) => n === owned),
        owned,
      ).toHaveLength(1);
    }
    const everything = wire.map((m) => m.raw).join('\n');
    expect(everything).not.toMatch(/evil\.example|X-Evil|X-Big|user=phone>|compact-/);
  });
});
