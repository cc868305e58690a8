import { globEscape } from './glob-escape.js';

/**
 * Every Redis key the dialer owns. With a hash-tagged prefix (`{dialer}`, the default) the keys
 * are split by what must change together in one script, so that on a Redis Cluster the load
 * spreads over the masters while every Lua script and MULTI still touches one slot (README, Redis
 * Cluster):
 * - a trunk's keys (its BullMQ queue, pace and channels, circuit, held jobs, learned dial formats)
 *   under `{dialer:t:<trunk>}`: BullMQ's scripts and the limiter's read and write them together;
 * - a number's keys (its fence `live:<e164>`, the attempt records of the jobs dialling it, its
 *   daily attempt count) under `{dialer:n:<e164>}`: the fence is per number across jobs and campaigns, and the step
 *   that takes it also writes the attempt record (and refuses a job whose earlier attempt was
 *   answered), so the attempts go with the number, not with the job or its campaign. A job dials
 *   one number, so whoever reads its attempts knows it (the job's data, or a campaign job's id).
 *   These are the per-call keys with the most commands (fence in, fence out) and, one tag per
 *   number, they spread over every slot;
 * - the rest (campaigns and their counters, outcomes and their stream, imports, workers and their
 *   dialogs, DNC, audit) under `{dialer}`: an outcome is written once in the same step that bumps
 *   its campaign's counters, appends to the outcomes stream and may complete the campaign, and a
 *   dead worker's dialogs move to a live worker's orphans in one step; splitting those by
 *   campaign would need the stream and the completions sharded too (left for later). The dialog
 *   registry entry of an attempt is dropped just after its fence step, not inside it (a stale
 *   entry is harmless: the sweeper keeps a finished attempt's record).
 * A prefix without braces keeps every key under the prefix itself, as before.
 */
export class DialerKeys {
  readonly #tagBase: string | undefined;

  constructor(readonly prefix: string) {
    const tagged = /^\{([^{}]+)\}$/.exec(prefix);
    this.#tagBase = tagged?.[1];
  }

  /**
   * SCAN globs that together match every key of this prefix, the trunks' tags included
   * (`{dialer}*` and `{dialer:t:*`): to find, clean or migrate a deployment's keys.
   */
  get patterns(): readonly string[] {
    const all = `${globEscape(this.prefix)}*`;
    if (this.#tagBase === undefined) return [all];
    const base = globEscape(this.#tagBase);
    return [all, `{${base}:t:*`, `{${base}:n:*`];
  }

  /** The hash-tagged prefix of a trunk's keys: `{dialer:t:<trunk>}`. */
  trunkPrefix(trunk: string): string {
    return this.#tagBase === undefined ? this.prefix : `{${this.#tagBase}:t:${trunk}}`;
  }

  /** The hash-tagged prefix of a number's fence and attempts: `{dialer:n:<e164>}`. */
  numberPrefix(e164: string): string {
    return this.#tagBase === undefined ? this.prefix : `{${this.#tagBase}:n:${e164}}`;
  }

  /** BullMQ queue name for a trunk (BullMQ adds `queuePrefix(trunk)` itself). */
  queueName(trunk: string): string {
    return `calls-${trunk}`;
  }

  /** BullMQ `prefix` of a trunk's queue: the trunk's own hash tag, so BullMQ's scripts stay in its slot. */
  queuePrefix(trunk: string): string {
    return this.trunkPrefix(trunk);
  }

  /** Base of a trunk queue's keys (`<queuePrefix>:<queueName>`): a job is `<queueKey>:<jobId>`. */
  queueKey(trunk: string): string {
    return `${this.queuePrefix(trunk)}:${this.queueName(trunk)}`;
  }

  /** Final outcome of a job: a JSON string, written once. */
  outcome(jobId: string): string {
    return `${this.prefix}:outcome:${jobId}`;
  }

  /** Stream of every final outcome (XREAD it). */
  get outcomes(): string {
    return `${this.prefix}:outcomes`;
  }

  /**
   * Attempts of a job so far (a hash attempt id → JSON record), under the tag of the number the job
   * dials: the fence step writes both.
   */
  attempts(jobId: string, e164: string): string {
    return `${this.numberPrefix(e164)}:attempts:${jobId}`;
  }

  /** Held while an INVITE to the number may be alive (value: attempt id). */
  liveCall(e164: string): string {
    return `${this.numberPrefix(e164)}:live:${e164}`;
  }

  /** A worker's liveness lease: present while the worker is alive (value: when last renewed). */
  workerLease(workerId: string): string {
    return `${this.prefix}:worker:${workerId}`;
  }

  /** What ends each call a worker has up (hash attempt id → JSON), should it die. */
  workerDialogs(workerId: string): string {
    return `${this.prefix}:dialogs:${workerId}`;
  }

  /** Dead workers' calls a worker took over and has yet to end (hash attempt id → JSON). */
  workerOrphans(workerId: string): string {
    return `${this.prefix}:orphans:${workerId}`;
  }

  /** Ids of workers that may have dialogs or orphans in Redis: a set the sweepers walk. */
  get dialogOwners(): string {
    return `${this.prefix}:dialog-owners`;
  }

  /** Dial format that last worked for a trunk and country. */
  dialFormat(trunk: string, country: string): string {
    return `${this.trunkPrefix(trunk)}:format:${trunk}:${country}`;
  }

  /** Trunks the workers serve, published by workers for producers: hash name → JSON. */
  get trunks(): string {
    return `${this.prefix}:trunks`;
  }

  /** Campaign record: hash of settings, state and counters. */
  campaign(name: string): string {
    return `${this.prefix}:campaign:${name}`;
  }

  /**
   * Campaign completions whose `campaign.completed` callback is still to be queued: a sorted set
   * (score completedAt) of JSON notices, written by the step that completes the campaign.
   */
  get campaignCompletions(): string {
    return `${this.prefix}:campaign-completions`;
  }

  /** Names of every campaign: a set. */
  get campaigns(): string {
    return `${this.prefix}:campaigns`;
  }

  /** Job ids of a campaign parked while it is paused: a set. */
  campaignParked(name: string): string {
    return `${this.prefix}:campaign:${name}:parked`;
  }

  /**
   * Imports not committed yet: hash import id → JSON `{ campaign, trunk, at, abortedAt? }`. A job
   * whose `importId` is here is not dialled; the entry goes in the same step that makes the import
   * count, or, for an import taken back (`abortedAt`), once every job it added is removed.
   */
  get imports(): string {
    return `${this.prefix}:imports`;
  }

  /** The import running into a campaign (its id, with the import's lease TTL): one at a time. */
  campaignImport(name: string): string {
    return `${this.prefix}:campaign:${name}:import`;
  }

  /** Present (with a TTL) while the process running an import is alive. */
  importLease(importId: string): string {
    return `${this.prefix}:import:${importId}:lease`;
  }

  /** Validated jobs of an import waiting for its commit: a list of JSON `{ jobId, data }`, with a TTL. */
  importStage(importId: string): string {
    return `${this.prefix}:import:${importId}:stage`;
  }

  /** Job ids an import's commit added to the queue so far (to take back should it fail): a list. */
  importAdded(importId: string): string {
    return `${this.prefix}:import:${importId}:added`;
  }

  /** Do-not-call numbers (E.164): a set; `campaign` undefined is the global list. */
  dnc(campaign?: string): string {
    return campaign === undefined ? `${this.prefix}:dnc` : `${this.prefix}:dnc:${campaign}`;
  }

  /** Calls that presented a pool's caller ID on a UTC day (`YYYY-MM-DD`), across campaigns. */
  callerIdDaily(day: string, callerId: string): string {
    return `${this.prefix}:callerid-daily:${day}:${callerId}`;
  }

  /** Attempts on a number on one day (UTC date `YYYY-MM-DD`), across campaigns: under the number's tag. */
  dailyAttempts(day: string, e164: string): string {
    return `${this.numberPrefix(e164)}:daily:${day}:${e164}`;
  }

  /**
   * Fleet-wide limiter state of a trunk: GCRA arrival time, channel leases, the pace (and learned
   * ceiling), and a ring of recent starts, refusals and pauses the ceiling is measured from.
   */
  trunkLimiter(trunk: string): { cps: string; channels: string; pace: string; rate: string } {
    return {
      cps: `${this.trunkPrefix(trunk)}:limit:${trunk}:cps`,
      channels: `${this.trunkPrefix(trunk)}:limit:${trunk}:channels`,
      pace: `${this.trunkPrefix(trunk)}:limit:${trunk}:pace`,
      rate: `${this.trunkPrefix(trunk)}:limit:${trunk}:rate`,
    };
  }

  /** Circuit breaker state of a trunk: a hash. */
  circuit(trunk: string): string {
    return `${this.trunkPrefix(trunk)}:circuit:${trunk}`;
  }

  /** Job ids put back while the trunk's circuit was open or held by it: a set, promoted when it closes. */
  circuitHeld(trunk: string): string {
    return `${this.trunkPrefix(trunk)}:circuit:${trunk}:held`;
  }

  /** Stream of API audit entries (who changed what), capped near 100 000 entries. */
  get audit(): string {
    return `${this.prefix}:audit`;
  }

  /** Pub/sub channel where campaign and trunk state changes are announced to every worker. */
  get control(): string {
    return `${this.prefix}:control`;
  }
}
