import { describe, expect, it } from 'vitest';
import { buildCallOutcome, type AttemptRecord, type DialJob } from '../../../src/jobs/index.js';

const job: DialJob = {
  v: 1,
  number: '+5534984149880',
  country: 'BR',
  trunk: 'carrier',
  campaign: 'spring',
  metadata: { order: 7 },
  enqueuedAt: 1_000,
};

const attempt = (over: Partial<AttemptRecord>): AttemptRecord => ({
  attempt: 1,
  id: 'a1',
  uri: 'sip:5534984149880@carrier.test',
  startedAt: 2_000,
  state: 'done',
  ...over,
});

describe('buildCallOutcome', () => {
  it('reads talk time, digits and the machine verdict off the attempts, whatever ended the job', () => {
    const attempts = [
      attempt({ id: 'a1', sipCode: 486 }),
      attempt({
        id: 'a2',
        attempt: 2,
        sipCode: 200,
        talkMs: 4_200,
        digits: '12',
        amd: {
          result: 'human',
          reason: 'human-silence-after-greeting',
          decisionMs: 900,
          greetingMs: 600,
          words: 1,
        },
      }),
    ];
    expect(
      buildCallOutcome({
        jobId: 'j1',
        job,
        status: 'answered',
        reason: 'answered',
        attempts,
        completedAt: 9_000,
      }),
    ).toEqual({
      jobId: 'j1',
      to: '+5534984149880',
      trunk: 'carrier',
      campaign: 'spring',
      status: 'answered',
      reason: 'answered',
      attempts,
      enqueuedAt: 1_000,
      completedAt: 9_000,
      metadata: { order: 7 },
      talkMs: 4_200,
      digits: '12',
      amd: {
        result: 'human',
        reason: 'human-silence-after-greeting',
        decisionMs: 900,
        greetingMs: 600,
        words: 1,
      },
    });
  });

  it("takes talk time and digits from the person's attempt, not from a machine answered before it", () => {
    const attempts = [
      attempt({
        id: 'a1',
        sipCode: 200,
        talkMs: 2_500,
        digits: '9',
        noPerson: true,
        amd: { result: 'machine', reason: 'long-greeting', decisionMs: 1_800, greetingMs: 1_500, words: 3 },
      }),
      attempt({ id: 'a2', attempt: 2, sipCode: 200, talkMs: 4_200, digits: '12' }),
    ];
    const outcome = buildCallOutcome({ jobId: 'j3', job, status: 'answered', reason: 'answered', attempts });
    expect(outcome).toMatchObject({ talkMs: 4_200, digits: '12' });
    // With no person reached at all, the machine's answered attempt is still what there is.
    const machineOnly = buildCallOutcome({
      jobId: 'j4',
      job,
      status: 'machine',
      reason: 'machine',
      attempts: attempts.slice(0, 1),
    });
    expect(machineOnly).toMatchObject({ talkMs: 2_500, digits: '9' });
  });

  it('leaves out what no attempt had', () => {
    const outcome = buildCallOutcome({
      jobId: 'j2',
      job: { v: 1, number: '+5534984149880', trunk: 'carrier', enqueuedAt: 1 },
      status: 'failed',
      reason: 'worker failed on this job: boom',
      attempts: [],
    });
    expect(Object.keys(outcome).sort()).toEqual(
      ['attempts', 'completedAt', 'enqueuedAt', 'jobId', 'reason', 'status', 'to', 'trunk'].sort(),
    );
  });
});
