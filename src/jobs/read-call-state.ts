import type { AttemptRecord, CallOutcome } from './call-outcome.js';
import { CallNotFoundError } from './call-not-found-error.js';
import type { DialerClient } from './dialer-client.js';

export interface CallState {
  readonly jobId: string;
  /** `completed` with an outcome, else the queue state (`waiting`, `delayed`, `active`…). */
  readonly state: string;
  readonly outcome?: CallOutcome;
  readonly number?: string;
  readonly trunk?: string;
  readonly campaign?: string;
  /** Attempts so far, oldest first, while the job has no outcome. */
  readonly attempts?: readonly AttemptRecord[];
}

/**
 * Where a call is: its final outcome, or its job in one of `trunks`' queues with the attempts
 * made so far (`GET /v1/calls/:id`, the console's number story, `dialer outcome`).
 * @throws CallNotFoundError
 */
export async function readCallState(
  client: DialerClient,
  trunks: readonly string[],
  jobId: string,
): Promise<CallState> {
  const outcome = await client.getOutcome(jobId);
  if (outcome) return { jobId, state: 'completed', outcome };
  for (const trunk of trunks) {
    const job = await client.queue(trunk).getJob(jobId);
    if (!job) continue;
    const data = job.data as { number?: string; campaign?: string };
    // The attempts sit under the tag of the number the job dials.
    const attempts = (
      data.number === undefined ? [] : await client.redis.hvals(client.keys.attempts(jobId, data.number))
    )
      .map((json) => JSON.parse(json) as AttemptRecord)
      .sort((a, b) => a.startedAt - b.startedAt);
    return {
      jobId,
      state: await job.getState(),
      ...(data.number !== undefined && { number: data.number }),
      trunk,
      ...(data.campaign !== undefined && { campaign: data.campaign }),
      attempts,
    };
  }
  throw new CallNotFoundError(jobId);
}
