import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import type { ApiFixture } from './api-fixture.js';

export const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

/** What a worker would have written for a campaign call. */
export function campaignOutcome(
  campaign: string,
  e164: string,
  status: CallOutcome['status'],
  minute: number,
  pddMs: number | undefined,
  reason = status === 'answered' ? '200 OK' : '486 Busy Here',
): CallOutcome {
  const startedAt = T0 + minute * 60_000;
  return {
    jobId: `${campaign}~${e164}`,
    to: e164,
    trunk: 'carrier',
    campaign,
    status,
    reason,
    enqueuedAt: T0 - 60_000,
    completedAt: startedAt + 20_000,
    attempts: [
      {
        attempt: 1,
        id: `${e164}-1`,
        uri: `sip:${e164}@carrier.test`,
        startedAt,
        inviteSentAt: startedAt + 5,
        endedAt: startedAt + 20_000,
        state: 'done',
        sipCode: status === 'answered' ? 200 : 486,
        ...(pddMs !== undefined && { postDialDelayMs: pddMs }),
        ...(status === 'answered' && { setupMs: pddMs === undefined ? 3000 : pddMs + 2000, talkMs: 15_000 }),
      },
    ],
    ...(status === 'answered' && { talkMs: 15_000 }),
  };
}

/** Creates a campaign of `numbers` through the API and writes the given outcomes as a worker would. */
export async function seedCampaign(
  f: ApiFixture,
  name: string,
  numbers: readonly string[],
  outcomes: readonly CallOutcome[],
): Promise<void> {
  const created = await f.request({ method: 'POST', url: '/v1/campaigns', payload: { name, numbers } });
  if (created.statusCode !== 201) throw new Error(`seed: ${created.statusCode} ${created.body}`);
  const store = new OutcomeStore({ redis: f.server.client.redis, keys: f.server.client.keys });
  for (const outcome of outcomes) await store.writeOnce(outcome);
}
