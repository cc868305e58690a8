import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { importCampaignCsv } from '../../src/jobs/campaign-import.js';
import { CampaignStore } from '../../src/jobs/campaign-store.js';
import type { AttemptRecord, CallOutcome } from '../../src/jobs/call-outcome.js';
import { DialerClient } from '../../src/jobs/dialer-client.js';
import { FINAL_STATUSES, type FinalStatus } from '../../src/jobs/final-status.js';
import type { RegisteredDialog } from '../../src/workers/dialog-registry.js';
import { freePortPair } from '../helpers/free-port.js';
import { OwnRedis } from '../helpers/own-redis.js';
import { startSipp, type SippPeer, type WireMessage } from '../helpers/sipp.js';
import {
  spawnWorkerProcess,
  startWorkerProcess,
  writeConfigFile,
  type WorkerProcess,
} from '../helpers/worker-process.js';
import { workerConfig } from '../helpers/worker-config.js';
import { carrierDialogs, overlappingDialogs, sippTime, type CarrierDialog } from './carrier-record.js';
import { UdpRelay } from './udp-relay.js';

const SCENARIO = new URL('./chaos-carrier.xml', import.meta.url).pathname;
const TRUNK_PASSWORD = 'pw-Chaos-5f1e9a7c';
const API_TOKEN = 'tok-Chaos-0b8d44e2a1';
const CALLBACK_SECRET = 'cb-Chaos-secret-4e9d1a7f';
const REDIS_PASSWORD = 'redis-Chaos-pw-8c3b5e02';
/** Every secret the run configures; each log line of every worker is searched for each of them. */
const SECRETS = {
  'trunk password': TRUNK_PASSWORD,
  'API token': API_TOKEN,
  'callback secret': CALLBACK_SECRET,
  'Redis password': REDIS_PASSWORD,
};
const TRUNK = 'carrier';

export interface ChaosOptions {
  /** Jobs over the three campaigns. */
  readonly numbers: number;
  /** How long the carrier is down. Default 10 s. */
  readonly carrierOutageMs?: number;
  /** Share of SIP datagrams the relay drops each way. Default 0.05. */
  readonly dropRate?: number;
  /** Fleet-wide trunk limits. Defaults: 40 calls/s, 60 channels. */
  readonly cps?: number;
  readonly maxChannels?: number;
  /** Give up waiting for outcomes after this long (the missing ones are reported as lost). */
  readonly deadlineMs?: number;
  /** SIGKILL Redis instead of an orderly restart (AOF everysec may then lose up to a second). */
  readonly killRedis?: boolean;
  readonly seed?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface FaultRecord {
  readonly name: string;
  readonly at: number;
  readonly clearedAt: number;
  /** From the fault being cleared until outcomes flow at half the run's mean rate again. */
  readonly recoveryMs?: number;
  /** Killed workers: from the kill until every job interrupted on it had its final outcome. */
  readonly interruptedJobs?: number;
  readonly interruptedSettledMs?: number;
}

export interface ChaosReport {
  readonly jobs: number;
  readonly campaigns: ReadonlyArray<{ name: string; jobs: number; maxAttempts: number }>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly lostJobs: readonly string[];
  readonly lostJobStates: readonly string[];
  readonly doubledJobs: readonly string[];
  readonly overlappingDials: number;
  readonly overlapExamples: readonly string[];
  /** The attempts the dialer recorded for the overlapped numbers. */
  readonly overlapDetails: readonly string[];
  /**
   * The worker SIGKILLed with answered calls up (numbers ending in 9, which the carrier keeps up
   * until the dialer's BYE): how many it left, how many another worker ended with a BYE the
   * carrier received, and how long after the kill the last of those BYEs came.
   */
  readonly orphans: {
    readonly atKill: number;
    readonly endedByBye: number;
    readonly lastByeAfterMs?: number;
  };
  /** Jobs with more attempts than allowed, seen from the outcomes. */
  readonly overAttemptedJobs: readonly string[];
  /** Numbers whose carrier-side INVITE dialogs outnumber the attempts their jobs allow. */
  readonly overDialedNumbers: readonly string[];
  readonly counterMismatches: readonly string[];
  /** Worker processes that ended other than by the test's SIGKILL or a clean exit on SIGTERM. */
  readonly crashedWorkers: readonly string[];
  readonly secretHits: number;
  /** Which secrets the lines were searched for, and which of them were found. */
  readonly secretsChecked: readonly string[];
  readonly secretsFound: readonly string[];
  /** A worker started with a wrong Redis password: how it ended, and whether it said WRONGPASS. */
  readonly refusedLogin: { readonly code: number | null; readonly reported: boolean };
  readonly logLines: number;
  readonly carrierInvites: number;
  readonly dialerAttempts: number;
  readonly interruptedAttempts: number;
  readonly durationMs: number;
  readonly callsPerSecond: number;
  readonly faults: readonly FaultRecord[];
  readonly relay: { forwarded: number; dropped: number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** BR mobile numbers `+5534984NNNNNN`; the last digit picks the carrier's behaviour. */
function numberAt(i: number): string {
  return `+5534984${String(100000 + i).padStart(6, '0')}`;
}

/**
 * The chaos run: Redis as production runs it, three worker processes, a sipp carrier behind a lossy
 * relay, three campaigns; a worker SIGKILLed mid-call twice, Redis restarted, the carrier down for
 * a while. Then the outcomes in Redis are checked against the carrier's own record.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const outageMs = options.carrierOutageMs ?? 10_000;
  const started = Date.now();
  // A Redis that wants a password, as production's does: its URL reaches every worker (and its logs).
  const redis = await OwnRedis.start({ appendfsync: 'everysec', requirepass: REDIS_PASSWORD });
  const redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
  const carrierPort = await freePortPair();
  const relay = await UdpRelay.start({
    target: `127.0.0.1:${carrierPort}`,
    dropRate: options.dropRate ?? 0.05,
    seed: options.seed ?? 1,
  });
  const startCarrier = (): Promise<SippPeer> =>
    startSipp({
      scenario: SCENARIO,
      port: carrierPort,
      calls: 10_000_000,
      timeoutMs: 3_600_000,
      vars: { relay: relay.uri, hold_ms: '500' },
      // Room for every dialog at once and no per-call limit on how long sipp waits for a message.
      extraArgs: ['-l', '100000', '-max_recv_loops', '10000'],
    });
  const carriers: Array<{ peer: SippPeer; stoppedAt?: number; trace?: WireMessage[] }> = [
    { peer: await startCarrier() },
  ];

  // Three configs, one prefix: each process has its own SIP port and RTP range, as on three machines;
  // a fourth, alike, for the worker Redis refuses (it binds its ports before it is refused).
  const prefix = `{chaos-${Math.random().toString(36).slice(2, 8)}}`;
  const files: string[] = [];
  const sipPorts: number[] = [];
  for (let w = 0; w < 4; w++) {
    const { yaml } = await workerConfig({
      redisUrl: 'redis://__redis__',
      carrier: relay.uri,
      prefix,
      cps: options.cps ?? 40,
      maxChannels: options.maxChannels ?? 60,
      maxCallLength: '3s',
      // The fence outlives what the carrier may keep alive after a worker dies: a 200 never ACKed
      // is retransmitted for 64·T1 (32 s) before the carrier gives up (RFC 3261 §13.3.1.4). With a
      // 2 s margin the run saw a number rung again while the carrier still held the first call.
      extra: 'workers: { lockDuration: 4s, stalledInterval: 2s, fenceMargin: 35s }',
    });
    // Between the SIP ports tests draw (20000-29999) and the kernel's ephemeral range (32768 up):
    // an RTP range among the SIP ports took another worker's SIP port (EADDRINUSE at its start).
    const rtpBase = 30000 + w * 600;
    // The secrets come from the environment, as in production; the run greps every log line for them.
    // Callbacks are configured (the secret is loaded, the delivery worker runs) but no call has a URL.
    const patched = `${yaml}\napi: { token: "\${API_TOKEN}" }\ncallbacks: { secret: "\${CALLBACK_SECRET}" }\n`
      .replace('redis://__redis__', '${REDIS_URL}')
      .replace(/password: secret/, 'password: "${CARRIER_PASSWORD}"')
      .replace(/ports: \d+-\d+/, `ports: ${rtpBase}-${rtpBase + 599}`);
    sipPorts.push(Number(/listen: 127\.0\.0\.1:(\d+)/.exec(patched)?.[1]));
    files.push(await writeConfigFile(patched));
  }
  const env = { CARRIER_PASSWORD: TRUNK_PASSWORD, API_TOKEN, CALLBACK_SECRET, REDIS_URL: redisUrl };
  // One more worker, refused by Redis (a stale password), alongside the fleet: it must exit 1
  // and say why without the password it tried or the real one. It exits on its own in seconds.
  const refused = spawnWorkerProcess(files[3] as string, {
    ...env,
    REDIS_URL: `redis://:${REDIS_PASSWORD}-stale@127.0.0.1:${redis.port}`,
  });
  const allWorkers: Array<{ slot: number; proc: WorkerProcess; killed: boolean }> = [];
  const workers: WorkerProcess[] = [];
  for (let w = 0; w < 3; w++) {
    const proc = await startWorkerProcess(files[w] as string, env);
    workers.push(proc);
    allWorkers.push({ slot: w, proc, killed: false });
  }
  log(
    `redis ${redis.url} (AOF everysec), carrier 127.0.0.1:${carrierPort} behind relay ${relay.uri}, 3 workers`,
  );

  const client = new DialerClient({ redis: redisUrl, prefix });
  const store = new CampaignStore({ redis: client.redis, keys: client.keys });
  const perCampaign = Math.floor(options.numbers / 3);
  const campaigns = [
    { name: 'chaos-a', maxAttempts: 2, from: 0, count: perCampaign },
    { name: 'chaos-b', maxAttempts: 3, from: perCampaign, count: perCampaign },
    // The last campaign also calls 5 % of the first one's numbers: two jobs, one number, one fence.
    { name: 'chaos-c', maxAttempts: 4, from: 2 * perCampaign, count: options.numbers - 2 * perCampaign },
  ];
  const jobNumbers = new Map<string, { number: string; maxAttempts: number; campaign: string }>();
  const dialStart = Date.now();
  for (const c of campaigns) {
    await store.create(c.name, { trunk: TRUNK, maxAttempts: c.maxAttempts });
    const rows: string[] = [];
    for (let i = 0; i < c.count; i++) rows.push(numberAt(c.from + i));
    if (c.name === 'chaos-c') for (let i = 0; i < perCampaign; i += 20) rows.push(numberAt(i));
    const report = await importCampaignCsv({
      stream: Readable.from([`number\n${rows.join('\n')}\n`]),
      campaign: c.name,
      trunk: { name: TRUNK, defaultCountry: 'BR' },
      enqueue: async (jobs) => {
        for (const j of jobs)
          jobNumbers.set(j.jobId, { number: j.data.number, maxAttempts: c.maxAttempts, campaign: c.name });
        return (await client.addJobs(TRUNK, jobs)).filter(Boolean).length;
      },
      store,
    });
    (c as { jobs?: number }).jobs = report.enqueued;
  }
  const totalJobs = jobNumbers.size;
  log(`${totalJobs} jobs in ${campaigns.length} campaigns`);

  // Progress seen through its own connection, which simply fails while Redis is away.
  const probe = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
  probe.on('error', () => undefined);
  const outcomesSoFar = async (): Promise<number> => probe.xlen(client.keys.outcomes).catch(() => -1);
  const waitForShare = async (share: number): Promise<void> => {
    while ((await outcomesSoFar()) < share * totalJobs) await sleep(100);
  };

  const faults: Array<{ name: string; at: number; clearedAt: number; killedPid?: number }> = [];
  // Answered calls of a worker as it registered them for other workers to end (numbers ending in
  // 9: the carrier holds those until a dialer's BYE).
  const heldCallsOf = async (proc: WorkerProcess): Promise<string[]> => {
    const owners = await probe.smembers(client.keys.dialogOwners).catch(() => [] as string[]);
    const id = owners.find((o) => o.split(':')[1] === String(proc.child.pid));
    if (id === undefined) return [];
    const entries = await probe.hvals(client.keys.workerDialogs(id)).catch(() => [] as string[]);
    return entries
      .map((json) => JSON.parse(json) as RegisteredDialog)
      .filter((d) => d.snapshot.state === 'confirmed' && /9$/.test(d.number))
      .map((d) => d.snapshot.callId);
  };
  let orphanKill: { at: number; callIds: string[] } | undefined;
  const killMidCall = async (slot: number, withHeldCalls = false): Promise<void> => {
    const until = Date.now() + 10_000;
    while (relay.liveCalls(sipPorts[slot] as number) < 2 && Date.now() < until) await sleep(20);
    const victim = workers[slot] as WorkerProcess;
    let held: string[] = [];
    if (withHeldCalls) {
      // Two if they come within 10 s, else the first one (a loaded machine dials slowly), within 60 s.
      const since = Date.now();
      for (;;) {
        held = await heldCallsOf(victim);
        const waited = Date.now() - since;
        if (held.length >= 2 || (held.length === 1 && waited > 10_000) || waited > 60_000) break;
        await sleep(20);
      }
    }
    const live = relay.liveCalls(sipPorts[slot] as number);
    const entry = allWorkers.find((w) => w.proc === victim);
    if (entry) entry.killed = true;
    const at = Date.now();
    victim.kill('SIGKILL');
    if (withHeldCalls) orphanKill = { at, callIds: held };
    await victim.exited;
    await sleep(1000);
    const proc = await startWorkerProcess(files[slot] as string, env);
    workers[slot] = proc;
    allWorkers.push({ slot, proc, killed: false });
    faults.push({
      name: `SIGKILL worker ${slot + 1} (${live} live calls${withHeldCalls ? `, ${held.length} answered and held` : ''})`,
      at,
      clearedAt: Date.now(),
      ...(victim.child.pid !== undefined ? { killedPid: victim.child.pid } : {}),
    });
    log(`killed worker ${slot + 1} with ${live} live calls, restarted`);
  };

  const chaos = (async () => {
    await waitForShare(0.08);
    await killMidCall(0);
    await waitForShare(0.2);
    {
      const at = Date.now();
      await (options.killRedis ? redis.kill() : redis.stop());
      await sleep(1000);
      await redis.restart();
      faults.push({
        name: options.killRedis ? 'Redis SIGKILL + restart' : 'Redis restart',
        at,
        clearedAt: Date.now(),
      });
      log('redis restarted');
    }
    await waitForShare(0.35);
    await killMidCall(1, true);
    await waitForShare(0.6);
    {
      const at = Date.now();
      const current = carriers[carriers.length - 1];
      if (current) {
        await current.peer.stop();
        current.stoppedAt = Date.now();
        // Read now: the helper deletes a stopped sipp's trace a minute after it exits.
        current.trace = await current.peer.messages();
      }
      await sleep(outageMs);
      carriers.push({ peer: await startCarrier() });
      faults.push({ name: `carrier down ${Math.round(outageMs / 1000)} s`, at, clearedAt: Date.now() });
      log('carrier back');
    }
  })();

  const deadline = started + (options.deadlineMs ?? 30 * 60_000);
  let chaosError: unknown;
  chaos.catch((err: unknown) => (chaosError = err));
  let lastLog = 0;
  for (;;) {
    const done = await outcomesSoFar();
    if (Date.now() - lastLog > 5000) {
      log(`${done}/${totalJobs} outcomes`);
      lastLog = Date.now();
    }
    if (done >= totalJobs || Date.now() > deadline || chaosError !== undefined) break;
    await sleep(250);
  }
  await chaos.catch(() => undefined);
  if (chaosError !== undefined) throw chaosError;
  // Late doubles would show up now; give a stalled re-run a moment to write one.
  await sleep(1500);
  const dialEnd = Date.now();

  for (const w of workers) w.kill('SIGTERM');
  const exits = await Promise.all(allWorkers.map(async (w) => ({ ...w, exit: await w.proc.exited })));
  for (const c of carriers) await c.peer.stop();
  await relay.close();

  // Source 1: outcomes in Redis.
  const stream = await client.redis.xrange(client.keys.outcomes, '-', '+');
  const perJob = new Map<string, number>();
  const outcomeTimes: number[] = [];
  const outcomeTimeOf = new Map<string, number>();
  for (const [id, fields] of stream) {
    const jobId = fields[fields.indexOf('jobId') + 1] ?? '';
    perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
    const t = Number(id.split('-')[0]);
    outcomeTimes.push(t);
    outcomeTimeOf.set(jobId, t);
  }
  const outcomes = new Map<string, CallOutcome>();
  const ids = [...jobNumbers.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    const got = await Promise.all(batch.map((id) => client.getOutcome(id)));
    got.forEach((o, k) => {
      if (o) outcomes.set(batch[k] as string, o);
    });
  }
  const lostJobs = ids.filter((id) => !outcomes.has(id) || !perJob.has(id));
  // Where each lost job is stuck, for the report.
  const lostJobStates: string[] = [];
  for (const id of lostJobs.slice(0, 10)) {
    const job = await client.queue(TRUNK).getJob(id);
    const state = job ? await job.getState() : 'gone';
    const attempts = Object.values(
      await client.redis.hgetall(client.keys.attempts(id, job?.data.number ?? '')),
    ).map((json) => {
      const a = JSON.parse(json) as { attempt: number; state: string; sipCode?: number; reason?: string };
      return `${a.attempt}:${a.state}${a.sipCode !== undefined ? `/${a.sipCode}` : ''}`;
    });
    lostJobStates.push(
      `${id}: ${state}, BullMQ attemptsMade ${job?.attemptsMade ?? '–'}${job?.failedReason ? `, failed: ${job.failedReason}` : ''}, attempts [${attempts.join(' ')}]`,
    );
  }
  const doubledJobs = [...perJob].filter(([, n]) => n > 1).map(([id]) => id);
  const byStatus: Record<string, number> = {};
  let dialerAttempts = 0;
  let interruptedAttempts = 0;
  const overAttemptedJobs: string[] = [];
  const allowedPerNumber = new Map<string, number>();
  for (const [jobId, info] of jobNumbers) {
    const digits = info.number.replace(/\D/g, '');
    allowedPerNumber.set(digits, (allowedPerNumber.get(digits) ?? 0) + info.maxAttempts);
    const o = outcomes.get(jobId);
    if (!o) continue;
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    const attempts = new Set(o.attempts.map((a) => a.attempt)).size;
    dialerAttempts += attempts;
    interruptedAttempts += o.attempts.filter(
      (a) => a.state === 'interrupted' || a.orphan !== undefined,
    ).length;
    if (attempts > info.maxAttempts)
      overAttemptedJobs.push(`${jobId}: ${attempts} attempts > ${info.maxAttempts}`);
  }
  const counterMismatches: string[] = [];
  for (const c of campaigns) {
    const status = await store.status(c.name);
    const expected: Record<string, number> = {};
    let attempts = 0;
    for (const [jobId, info] of jobNumbers) {
      const o = outcomes.get(jobId);
      if (info.campaign !== c.name || !o) continue;
      expected[o.status] = (expected[o.status] ?? 0) + 1;
      attempts += new Set(o.attempts.map((a) => a.attempt)).size;
    }
    for (const s of FINAL_STATUSES as readonly FinalStatus[])
      if ((status.byStatus[s] ?? 0) !== (expected[s] ?? 0))
        counterMismatches.push(
          `${c.name} ${s}: counter ${status.byStatus[s]} ≠ outcomes ${expected[s] ?? 0}`,
        );
    if (status.attempts !== attempts)
      counterMismatches.push(`${c.name} attempts: counter ${status.attempts} ≠ outcomes ${attempts}`);
    const jobs = [...jobNumbers.values()].filter((j) => j.campaign === c.name).length;
    if (status.total !== jobs)
      counterMismatches.push(`${c.name} total: counter ${status.total} ≠ jobs ${jobs}`);
  }

  // Source 2: the carrier's own record (every sipp instance's trace).
  const dialogs: CarrierDialog[] = [];
  for (const c of carriers)
    dialogs.push(...carrierDialogs(c.trace ?? (await c.peer.messages()), c.stoppedAt));
  const overlaps = overlappingDialogs(dialogs);
  // The dead worker's held calls: ended by whose BYE, and when (the carrier's own clock).
  const byeReceivedAt = new Map<string, number>();
  for (const c of carriers)
    for (const m of c.trace ?? (await c.peer.messages()))
      if (m.direction === 'received' && m.method === 'BYE' && m.headers['call-id'] !== undefined)
        if (!byeReceivedAt.has(m.headers['call-id'])) byeReceivedAt.set(m.headers['call-id'], sippTime(m));
  const orphanByes = (orphanKill?.callIds ?? [])
    .map((id) => byeReceivedAt.get(id))
    .filter((t): t is number => t !== undefined);
  const orphans = {
    atKill: orphanKill?.callIds.length ?? 0,
    endedByBye: orphanByes.length,
    ...(orphanByes.length > 0 && orphanKill
      ? { lastByeAfterMs: Math.max(...orphanByes) - orphanKill.at }
      : {}),
  };
  // What the dialer recorded for each overlapped number, to tell which mechanism let it through.
  const overlapDetails: string[] = [];
  for (const [a, b] of overlaps.slice(0, 5)) {
    overlapDetails.push(`first dialog at the carrier: ${a.story.join(', ')}`);
    overlapDetails.push(`second dialog at the carrier: ${b.story.join(', ')}`);
    for (const [jobId, info] of jobNumbers) {
      if (info.number.replace(/\D/g, '') !== a.number) continue;
      const records = Object.values(await client.redis.hgetall(client.keys.attempts(jobId, info.number)))
        .map((json) => JSON.parse(json) as AttemptRecord)
        .sort((x, y) => x.startedAt - y.startedAt);
      for (const r of records)
        overlapDetails.push(
          `${jobId} attempt ${r.attempt} ${r.state} ${iso(r.startedAt)}–${r.endedAt !== undefined ? iso(r.endedAt) : '?'} sip ${r.sipCode ?? '–'} worker ${r.worker ?? '?'} ${r.callId ?? ''} ${r.reason ?? ''}`,
        );
    }
  }
  const dialsPerNumber = new Map<string, number>();
  for (const d of dialogs) dialsPerNumber.set(d.number, (dialsPerNumber.get(d.number) ?? 0) + 1);
  const overDialedNumbers = [...dialsPerNumber]
    .filter(([n, count]) => count > (allowedPerNumber.get(n) ?? 0))
    .map(([n, count]) => `${n}: ${count} INVITE dialogs > ${allowedPerNumber.get(n) ?? 0} allowed`);

  const crashedWorkers = exits
    .filter((w) => !(w.killed && w.exit.signal === 'SIGKILL') && !(!w.killed && w.exit.code === 0))
    .map((w) => `worker ${w.slot + 1} pid ${w.proc.child.pid}: code ${w.exit.code} signal ${w.exit.signal}`);
  const refusedExit = await Promise.race([
    refused.exited,
    sleep(20_000).then(() => {
      refused.kill('SIGKILL');
      return refused.exited;
    }),
  ]);
  const lines = [...allWorkers.flatMap((w) => w.proc.lines), ...refused.lines];
  const logDir = process.env['CHAOS_LOG_DIR'];
  if (logDir)
    for (const [i, w] of allWorkers.entries())
      await writeFile(
        join(logDir, `worker-${i}-slot${w.slot + 1}-pid${w.proc.child.pid}.log`),
        w.proc.lines.join('\n'),
      );
  if (logDir)
    await writeFile(
      join(logDir, `worker-refused-by-redis-pid${refused.child.pid}.log`),
      refused.lines.join('\n'),
    );
  // The kept files hold exactly these lines; searched here, for every secret the run configured
  // (`-stale` is the refused worker's password: its prefix is the real one, so it is found too).
  const secrets = Object.values(SECRETS);
  const secretHits = lines.filter((l) => secrets.some((secret) => l.includes(secret))).length;
  const secretsFound = Object.entries(SECRETS)
    .filter(([, secret]) => lines.some((l) => l.includes(secret)))
    .map(([name]) => name);

  // Recovery: from a fault being cleared until outcomes flow at half the mean rate (2 s windows).
  outcomeTimes.sort((a, b) => a - b);
  const meanPerMs = outcomeTimes.length / Math.max(1, dialEnd - dialStart);
  const recoveryAfter = (from: number): number | undefined => {
    for (let t = from; t < dialEnd; t += 100) {
      const inWindow = countBetween(outcomeTimes, t, t + 2000);
      if (inWindow >= 0.5 * meanPerMs * 2000) return t - from;
    }
    return undefined;
  };
  const faultRecords: FaultRecord[] = faults.map((f) => {
    const record: FaultRecord = { name: f.name, at: f.at, clearedAt: f.clearedAt };
    const recoveryMs = recoveryAfter(f.clearedAt);
    let extra = {};
    if (f.killedPid !== undefined) {
      const interrupted = [...outcomes].filter(([, o]) =>
        o.attempts.some(
          (a) =>
            (a.state === 'interrupted' || a.orphan !== undefined) &&
            a.worker?.split(':')[1] === String(f.killedPid),
        ),
      );
      const settled = interrupted.map(([id]) => (outcomeTimeOf.get(id) ?? f.at) - f.at);
      extra = {
        interruptedJobs: interrupted.length,
        ...(settled.length > 0 ? { interruptedSettledMs: Math.max(...settled) } : {}),
      };
    }
    return { ...record, ...(recoveryMs !== undefined ? { recoveryMs } : {}), ...extra };
  });

  await probe.quit().catch(() => undefined);
  await client.close();
  await redis.stop();

  return {
    jobs: totalJobs,
    campaigns: campaigns.map((c) => ({
      name: c.name,
      jobs: [...jobNumbers.values()].filter((j) => j.campaign === c.name).length,
      maxAttempts: c.maxAttempts,
    })),
    byStatus,
    lostJobs,
    lostJobStates,
    doubledJobs,
    overlappingDials: overlaps.length,
    overlapExamples: overlaps
      .slice(0, 5)
      .map(
        ([a, b]) =>
          `${a.number}: ${a.callId} ${iso(a.start)}–${iso(a.end)} (${a.finalStatus}) and ${b.callId} from ${iso(b.start)} (${b.finalStatus})`,
      ),
    overlapDetails,
    orphans,
    overAttemptedJobs,
    overDialedNumbers,
    counterMismatches,
    crashedWorkers,
    secretHits,
    secretsChecked: Object.keys(SECRETS),
    secretsFound,
    refusedLogin: { code: refusedExit.code, reported: refused.lines.some((l) => l.includes('WRONGPASS')) },
    logLines: lines.length,
    carrierInvites: dialogs.length,
    dialerAttempts,
    interruptedAttempts,
    durationMs: dialEnd - dialStart,
    callsPerSecond: dialogs.length / Math.max(0.001, (lastInvite(dialogs) - dialStart) / 1000),
    faults: faultRecords,
    relay: relay.stats,
  };
}

function countBetween(sorted: readonly number[], from: number, to: number): number {
  let n = 0;
  for (const t of sorted) if (t >= from && t < to) n++;
  return n;
}

function lastInvite(dialogs: readonly CarrierDialog[]): number {
  return dialogs.reduce((max, d) => Math.max(max, d.start), 0);
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(11, 23);
}
