import type { CountryCode } from 'libphonenumber-js/max';
import { InvalidNumberError, normalizeNumber } from '../numbers/index.js';
import type { ApiContext } from './api-context.js';
import { streamField } from './stream-field.js';

/** One call found for a number. */
export interface CallHit {
  readonly jobId: string;
  readonly campaign?: string;
  /** The final status, or `pending` while the job is in a queue. */
  readonly status: string;
}

export type CallSearch =
  | { readonly kind: 'job'; readonly jobId: string }
  | {
      readonly kind: 'number';
      readonly e164: string;
      readonly hits: readonly CallHit[];
      readonly scanned: number;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

/** What a search box may hold as a job id: the `GET /v1/calls/:id` pattern with the `~` every id has. */
const JOB_ID = /^[A-Za-z0-9._~+-]{1,200}$/;
/** Newest outcomes searched for single calls (those have no campaign to derive their id from). */
const MAX_SCANNED = 20_000;
const PAGE = 1000;

/**
 * Finds the calls of a number or a job id typed by a person. A job id (it has a `~`) is taken as
 * it is. A number is normalised with the first trunk's country, then looked up as the job id it
 * has in each campaign (`<campaign>~<e164>`) and among the newest outcomes of single calls.
 */
export async function findCalls(ctx: ApiContext, query: string): Promise<CallSearch> {
  const q = query.trim();
  if (q.includes('~') && JOB_ID.test(q)) return { kind: 'job', jobId: q };
  let e164: string;
  try {
    const country = ctx.config.trunks.find((t) => t.defaultCountry !== undefined)?.defaultCountry;
    e164 = normalizeNumber(q, {
      ...(country !== undefined && { defaultCountry: country as CountryCode }),
      field: 'q',
    }).e164;
  } catch (error) {
    if (error instanceof InvalidNumberError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
  const { redis, keys } = ctx.client;
  const hits: CallHit[] = [];
  const campaigns = await ctx.store.list();
  // Outcomes in one pipeline (the prefix's slot); the jobs each in their trunk's slot, which a
  // Cluster pipeline could not mix, so those go as single commands together.
  const pipeline = redis.pipeline();
  for (const c of campaigns) pipeline.get(keys.outcome(`${c.name}~${e164}`));
  const [replies, inQueue] = await Promise.all([
    pipeline.exec(),
    Promise.all(campaigns.map((c) => redis.exists(`${keys.queueKey(c.settings.trunk)}:${c.name}~${e164}`))),
  ]);
  campaigns.forEach((c, i) => {
    const outcome = replies?.[i]?.[1] as string | null | undefined;
    const queued = inQueue[i] === 1;
    const jobId = `${c.name}~${e164}`;
    if (typeof outcome === 'string') {
      hits.push({ jobId, campaign: c.name, status: (JSON.parse(outcome) as { status: string }).status });
    } else if (queued) hits.push({ jobId, campaign: c.name, status: 'pending' });
  });
  let scanned = 0;
  let end = '+';
  while (scanned < MAX_SCANNED) {
    const entries = (await redis.xrevrange(keys.outcomes, end, '-', 'COUNT', PAGE)) as Array<
      [string, string[]]
    >;
    for (const [, fields] of entries) {
      const jobId = streamField(fields, 'jobId');
      if (jobId === undefined || !(jobId.startsWith('u~') || jobId.startsWith('k~'))) continue;
      const json = streamField(fields, 'outcome');
      if (json === undefined) continue;
      const outcome = JSON.parse(json) as { to?: string; status?: string };
      if (outcome.to === e164) hits.push({ jobId, status: outcome.status ?? 'unknown' });
    }
    scanned += entries.length;
    const last = entries[entries.length - 1]?.[0];
    if (last === undefined || entries.length < PAGE) break;
    end = `(${last}`;
  }
  return { kind: 'number', e164, hits, scanned };
}
