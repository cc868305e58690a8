/**
 * Every Redis key the dialer owns, under one hash-tagged prefix (default `{dialer}`): on Redis
 * Cluster they all land in one slot, so a Lua script may touch several at once, and BullMQ's
 * queues share the prefix.
 */
export class DialerKeys {
  constructor(readonly prefix: string) {}

  /** BullMQ queue name for a trunk (BullMQ adds the prefix itself). */
  queueName(trunk: string): string {
    return `calls-${trunk}`;
  }

  /** Final outcome of a job: a JSON string, written once. */
  outcome(jobId: string): string {
    return `${this.prefix}:outcome:${jobId}`;
  }

  /** Stream of every final outcome (XREAD it). */
  get outcomes(): string {
    return `${this.prefix}:outcomes`;
  }

  /** Attempts of a job so far: a list of JSON records. */
  attempts(jobId: string): string {
    return `${this.prefix}:attempts:${jobId}`;
  }

  /** Held while an INVITE to the number may be alive (value: attempt id). */
  liveCall(e164: string): string {
    return `${this.prefix}:live:${e164}`;
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
    return `${this.prefix}:format:${trunk}:${country}`;
  }

  /** Trunks the workers serve, published by workers for producers: hash name → JSON. */
  get trunks(): string {
    return `${this.prefix}:trunks`;
  }

  /** Campaign record: hash of settings, state and counters. */
  campaign(name: string): string {
    return `${this.prefix}:campaign:${name}`;
  }

  /** Names of every campaign: a set. */
  get campaigns(): string {
    return `${this.prefix}:campaigns`;
  }

  /** Job ids of a campaign parked while it is paused: a set. */
  campaignParked(name: string): string {
    return `${this.prefix}:campaign:${name}:parked`;
  }

  /** Do-not-call numbers (E.164): a set; `campaign` undefined is the global list. */
  dnc(campaign?: string): string {
    return campaign === undefined ? `${this.prefix}:dnc` : `${this.prefix}:dnc:${campaign}`;
  }

  /** Attempts on a number on one day (UTC date `YYYY-MM-DD`), across campaigns. */
  dailyAttempts(day: string, e164: string): string {
    return `${this.prefix}:daily:${day}:${e164}`;
  }

  /**
   * Fleet-wide limiter state of a trunk: GCRA arrival time, channel leases, the pace (and learned
   * ceiling), and a ring of recent starts, refusals and pauses the ceiling is measured from.
   */
  trunkLimiter(trunk: string): { cps: string; channels: string; pace: string; rate: string } {
    return {
      cps: `${this.prefix}:limit:${trunk}:cps`,
      channels: `${this.prefix}:limit:${trunk}:channels`,
      pace: `${this.prefix}:limit:${trunk}:pace`,
      rate: `${this.prefix}:limit:${trunk}:rate`,
    };
  }

  /** Circuit breaker state of a trunk: a hash. */
  circuit(trunk: string): string {
    return `${this.prefix}:circuit:${trunk}`;
  }

  /** Job ids put back while the trunk's circuit was open or held by it: a set, promoted when it closes. */
  circuitHeld(trunk: string): string {
    return `${this.prefix}:circuit:${trunk}:held`;
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
