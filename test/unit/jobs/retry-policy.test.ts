import { describe, expect, it } from 'vitest';
import {
  InvalidRetryPolicyError,
  buildRetryPolicy,
  decideRetry,
  defaultRetryPolicy,
  mergeRetryPolicy,
  type AttemptResult,
  type RetryContext,
  type RetryDecision,
  type RetryPolicy,
} from '../../../src/jobs/index.js';

const FOUR_HOURS = 4 * 3_600_000;

const policy = buildRetryPolicy({
  maxAttempts: 3,
  delays: { busyMs: 300_000, noAnswerMs: 900_000, carrierErrorMs: 30_000, machineMs: FOUR_HOURS },
  carrierErrorMaxMs: 600_000,
});

const first: RetryContext = { attempt: 1, formatsLeft: 0, random: () => 0.5 };

function fail(status: number, extra: Partial<AttemptResult> = {}): AttemptResult {
  return { kind: 'sip-failure', status, phase: 'setup', ...extra };
}

function decide(
  result: AttemptResult,
  ctx: Partial<RetryContext> = {},
  p: RetryPolicy = policy,
): RetryDecision {
  return decideRetry(result, { ...first, ...ctx }, p);
}

function delayOf(d: RetryDecision): number {
  if (d.action !== 'retry') throw new Error(`expected retry, got ${JSON.stringify(d)}`);
  return d.delayMs;
}

describe('decideRetry: the DESIGN table', () => {
  it('answered ends the job and tells the trunk all is well', () => {
    expect(decide({ kind: 'answered' })).toMatchObject({
      action: 'done',
      status: 'answered',
      trunkSignal: 'ok',
    });
  });

  it.each([401, 407])('%i after credentials: keep the job, stop the trunk', (status) => {
    const d = decide(fail(status, { phase: 'auth', reason: 'Unauthorized' }), { attempt: 3 });
    expect(d).toMatchObject({
      action: 'hold',
      status: 'auth-failed',
      trunkSignal: 'auth-failed',
      rule: String(status),
    });
  });

  it.each([404, 484, 485, 604])('%i: next dial format at once when one is left', (status) => {
    const d = decide(fail(status), { formatsLeft: 1, attempt: 3 });
    expect(d).toMatchObject({ action: 'next-format', status: 'invalid-number', trunkSignal: 'ok' });
  });

  it.each([404, 484, 485, 604])('%i: invalid-number with no retry when no format is left', (status) => {
    expect(decide(fail(status), { formatsLeft: 0 })).toMatchObject({
      action: 'done',
      status: 'invalid-number',
    });
  });

  it.each([486, 600])('%i: busy, retry after the busy delay', (status) => {
    const d = decide(fail(status, { phase: 'ringing' }));
    expect(d).toMatchObject({ action: 'retry', status: 'busy', delayMs: 300_000, trunkSignal: 'ok' });
  });

  it.each<AttemptResult>([
    fail(408, { phase: 'ringing' }),
    fail(480, { phase: 'ringing' }),
    fail(487, { phase: 'ringing', cancelCause: 'ring-timeout' }),
    // The CANCEL's 487 never came back: the engine synthesised it.
    { kind: 'sip-failure', status: 487, phase: 'ringing', local: true, cancelCause: 'ring-timeout' },
  ])('no answer ($status) retries after the no-answer delay', (result) => {
    expect(decide(result)).toMatchObject({ action: 'retry', status: 'no-answer', delayMs: 900_000 });
  });

  it('487 after an abort is cancelled, whatever the policy says about 487', () => {
    const d = decide(fail(487, { phase: 'ringing', cancelCause: 'aborted' }));
    expect(d).toEqual({
      action: 'done',
      status: 'cancelled',
      rule: 'aborted',
      reason: '487: cancelled by us',
    });
  });

  it.each([403, 603, 606, 607])('%i: declined, no retry', (status) => {
    expect(decide(fail(status))).toMatchObject({ action: 'done', status: 'declined' });
  });

  it.each([500, 502, 504])('%i: carrier trouble, backoff, counts against the trunk', (status) => {
    const d = decide(fail(status));
    expect(d).toMatchObject({ action: 'retry', status: 'unreachable', trunkSignal: 'carrier-error' });
  });

  it('503: carrier trouble that also slows the trunk down', () => {
    expect(decide(fail(503))).toMatchObject({
      action: 'retry',
      status: 'unreachable',
      trunkSignal: 'slow-down',
    });
  });

  it.each<AttemptResult>([
    { kind: 'sip-failure', status: 408, phase: 'transport', local: true, reason: 'Request Timeout' },
    { kind: 'sip-failure', status: 503, phase: 'transport', local: true, reason: 'Service Unavailable' },
    { kind: 'sip-failure', status: 503, phase: 'resolve', local: true },
    { kind: 'error', phase: 'transport', reason: 'ECONNREFUSED' },
  ])('transport failure ($status, $phase) is carrier trouble, not no-answer or slow-down', (result) => {
    const d = decide(result);
    expect(d).toMatchObject({
      action: 'retry',
      status: 'unreachable',
      trunkSignal: 'carrier-error',
      rule: 'transport',
    });
  });

  it.each([400, 415, 488, 420])('other 4xx (%i) is our fault: failed, no retry', (status) => {
    expect(decide(fail(status))).toMatchObject({ action: 'done', status: 'failed', rule: '4xx' });
  });

  it('410 Gone is invalid-number at once, other formats are not tried', () => {
    expect(decide(fail(410), { formatsLeft: 2 })).toMatchObject({ action: 'done', status: 'invalid-number' });
  });

  it.each([301, 302, 380])('%i: redirects are not followed', (status) => {
    expect(decide(fail(status))).toMatchObject({ action: 'done', status: 'failed', rule: '3xx' });
  });

  it.each([501, 505, 513])('%i: a deterministic refusal of what we sent is failed', (status) => {
    expect(decide(fail(status))).toMatchObject({ action: 'done', status: 'failed', rule: '5xx' });
  });

  it.each(['Forbidden', 'Not Registered'])(
    '403 %s right after our credentials is a suspected trunk fault: held, an auth strike, not declined',
    (reason) => {
      expect(decide(fail(403, { reason, afterCredentials: true }), { attempt: 3 })).toMatchObject({
        action: 'hold',
        rule: '403-after-credentials',
        trunkSignal: 'auth-strike',
      });
    },
  );

  it('403 to a request without credentials stays declined; the new row can be overridden back', () => {
    expect(decide(fail(403, { reason: 'Forbidden' }))).toMatchObject({ action: 'done', status: 'declined' });
    const strict = mergeRetryPolicy(policy, {
      overrides: { '403-after-credentials': { action: 'final', status: 'declined', trunkSignal: 'ok' } },
    });
    expect(decide(fail(403, { afterCredentials: true }), {}, strict)).toMatchObject({
      action: 'done',
      status: 'declined',
    });
  });

  it('a refused carrier certificate is trunk trouble: held on any attempt (not retried per number), the circuit opens at once', () => {
    const refused = fail(503, {
      local: true,
      phase: 'transport',
      errorCode: 'TLS_CERTIFICATE_REJECTED',
      reason:
        'trunk carrier: TLS certificate of 192.0.2.7:5061 rejected (expected "carrier.test"): certificate has expired [CERT_HAS_EXPIRED]',
    });
    for (const attempt of [1, 3, 9])
      expect(decide(refused, { attempt })).toMatchObject({
        action: 'hold',
        status: 'unreachable',
        rule: 'tls-certificate',
        trunkSignal: 'carrier-fault',
      });
    // The same 503 without the code is ordinary transport trouble, retried.
    expect(decide(fail(503, { local: true, phase: 'transport' }))).toMatchObject({
      action: 'retry',
      rule: 'transport',
    });
    const overridden = mergeRetryPolicy(policy, { overrides: { 'tls-certificate': 'final' } });
    expect(decide(refused, {}, overridden)).toMatchObject({ action: 'done', status: 'unreachable' });
  });

  it('our own error is failed and says nothing about the trunk', () => {
    const d = decide({ kind: 'error', reason: 'RTP port pool exhausted' });
    expect(d).toMatchObject({ action: 'done', status: 'failed', rule: 'error' });
    expect(d.trunkSignal).toBeUndefined();
  });
});

describe('decideRetry: rate limits in the reason', () => {
  it.each(['CPS exceeded', 'Rate limit exceeded', 'Call limit reached', 'Throttled', 'Too Many Calls'])(
    '403 "%s" slows the trunk and retries instead of declining',
    (reason) => {
      const d = decide(fail(403, { reason }));
      expect(d).toMatchObject({
        action: 'retry',
        status: 'unreachable',
        trunkSignal: 'slow-down',
        rule: 'rate-limited',
      });
    },
  );

  it('a retried code keeps its own delay and status but slows the trunk', () => {
    const d = decide(fail(486, { reason: 'Busy Here (channel limit)' }));
    expect(d).toMatchObject({ action: 'retry', status: 'busy', delayMs: 300_000, trunkSignal: 'slow-down' });
  });

  it('ordinary reasons do not trigger it', () => {
    expect(decide(fail(403, { reason: 'Forbidden' }))).toMatchObject({ action: 'done', status: 'declined' });
    expect(decide(fail(603, { reason: 'Decline (moderated)' }))).toMatchObject({ status: 'declined' });
  });

  it('can be turned off', () => {
    const p = mergeRetryPolicy(policy, { rateLimitPattern: null });
    expect(decide(fail(403, { reason: 'CPS exceeded' }), {}, p)).toMatchObject({
      action: 'done',
      status: 'declined',
    });
  });
});

describe('decideRetry: delays', () => {
  it('honours Retry-After over a shorter planned delay', () => {
    const d = decide(fail(503, { retryAfterMs: 120_000 }), { random: () => 0 });
    expect(delayOf(d)).toBe(120_000);
    expect(d.reason).toContain('Retry-After');
  });

  it('honours Retry-After beyond the cap and on busy', () => {
    expect(delayOf(decide(fail(503, { retryAfterMs: 3_600_000 }), { attempt: 2 }))).toBe(3_600_000);
    expect(delayOf(decide(fail(486, { retryAfterMs: 400_000 })))).toBe(400_000);
  });

  it('keeps the planned delay when Retry-After is shorter', () => {
    expect(delayOf(decide(fail(486, { retryAfterMs: 1_000 })))).toBe(300_000);
  });

  it('carrier backoff doubles per error in a row, with equal jitter bounded to [c/2, c]', () => {
    const base = 30_000;
    for (const [n, ceiling] of [
      [1, base],
      [2, 2 * base],
      [3, 4 * base],
    ] as const) {
      const low = delayOf(decide(fail(500), { attempt: 1, consecutiveCarrierErrors: n, random: () => 0 }));
      const high = delayOf(
        decide(fail(500), { attempt: 1, consecutiveCarrierErrors: n, random: () => 0.999999 }),
      );
      expect(low).toBe(ceiling / 2);
      expect(high).toBeLessThanOrEqual(ceiling);
      expect(high).toBeGreaterThan(ceiling * 0.99);
    }
  });

  it('caps carrier backoff, even after very many errors', () => {
    const d = delayOf(decide(fail(502), { consecutiveCarrierErrors: 2000, random: () => 0.999999 }));
    expect(d).toBeLessThanOrEqual(600_000);
    expect(d).toBeGreaterThan(590_000);
  });

  it('defaults the error count to the attempt number', () => {
    expect(delayOf(decide(fail(500), { attempt: 2, random: () => 0 }))).toBe(30_000);
  });

  it('full jitter spreads over [0, c]', () => {
    const p = mergeRetryPolicy(policy, { jitter: 'full' });
    expect(delayOf(decide(fail(500), { random: () => 0 }, p))).toBe(0);
    expect(delayOf(decide(fail(500), { random: () => 0.5 }, p))).toBe(15_000);
  });

  it('stays within bounds for any random value', () => {
    for (let i = 0; i < 200; i += 1) {
      const r = i / 200;
      const d = delayOf(decide(fail(504), { consecutiveCarrierErrors: 3, random: () => r }));
      expect(d).toBeGreaterThanOrEqual(60_000);
      expect(d).toBeLessThanOrEqual(120_000);
    }
  });
});

describe('decideRetry: attempts', () => {
  it.each<[AttemptResult, string]>([
    [fail(486), 'busy'],
    [fail(480), 'no-answer'],
    [fail(503), 'unreachable'],
    [{ kind: 'sip-failure', status: 408, phase: 'transport', local: true }, 'unreachable'],
  ])('the last attempt makes the mapped status final (%#)', (result, status) => {
    const d = decide(result, { attempt: 3 });
    expect(d).toMatchObject({ action: 'done', status });
    expect(d.reason).toContain('3 of 3');
  });

  it('a job may carry its own max attempts', () => {
    expect(decide(fail(486), { attempt: 3, maxAttempts: 5 })).toMatchObject({ action: 'retry' });
    expect(decide(fail(486), { attempt: 1, maxAttempts: 1 })).toMatchObject({
      action: 'done',
      status: 'busy',
    });
  });

  it('format fallback is not limited by attempts', () => {
    expect(decide(fail(404), { attempt: 3, formatsLeft: 1 })).toMatchObject({ action: 'next-format' });
  });

  it('the slow-down signal survives the last attempt', () => {
    expect(decide(fail(503), { attempt: 3 })).toMatchObject({ action: 'done', trunkSignal: 'slow-down' });
  });
});

describe('retry policies as data', () => {
  it("the default policy is the config's defaults (DESIGN.md's, and a machine again after 4 h)", () => {
    expect(defaultRetryPolicy.maxAttempts).toBe(3);
    expect(defaultRetryPolicy.delays).toEqual({
      busyMs: 300_000,
      noAnswerMs: 900_000,
      carrierErrorMs: 30_000,
      machineMs: FOUR_HOURS,
    });
    expect(defaultRetryPolicy.carrierErrorMaxMs).toBe(600_000);
    expect(Object.isFrozen(defaultRetryPolicy)).toBe(true);
    expect(Object.isFrozen(defaultRetryPolicy.rules)).toBe(true);
  });

  it('a campaign override changes delays and attempts and leaves the base alone', () => {
    const campaign = mergeRetryPolicy(policy, { maxAttempts: 5, delays: { busyMs: 60_000 } });
    expect(delayOf(decideRetry(fail(486), { attempt: 4, formatsLeft: 0 }, campaign))).toBe(60_000);
    expect(campaign.delays.noAnswerMs).toBe(900_000);
    expect(policy.delays.busyMs).toBe(300_000);
    expect(decideRetry(fail(486), { attempt: 4, formatsLeft: 0 }, policy)).toMatchObject({ action: 'done' });
  });

  it('a campaign can stop retrying busy numbers', () => {
    const campaign = mergeRetryPolicy(policy, { overrides: { '486': 'final', '600': 'final' } });
    expect(decide(fail(486), {}, campaign)).toMatchObject({ action: 'done', status: 'busy', rule: '486' });
    expect(decide(fail(486))).toMatchObject({ action: 'retry' });
  });

  it('a campaign can retry a code that is final by default, starting from its class row', () => {
    const campaign = mergeRetryPolicy(policy, { overrides: { '302': { action: 'retry', delay: 'busy' } } });
    expect(decide(fail(302), {}, campaign)).toMatchObject({
      action: 'retry',
      status: 'failed',
      delayMs: 300_000,
    });
    expect(decide(fail(301), {}, campaign)).toMatchObject({ action: 'done', rule: '3xx' });
  });

  it('a campaign can reclassify a code', () => {
    const campaign = mergeRetryPolicy(policy, {
      overrides: { '480': { status: 'busy', delay: 'busy' }, '404': 'final' },
    });
    expect(decide(fail(480), {}, campaign)).toMatchObject({
      action: 'retry',
      status: 'busy',
      delayMs: 300_000,
    });
    expect(decide(fail(404), { formatsLeft: 2 }, campaign)).toMatchObject({
      action: 'done',
      status: 'invalid-number',
    });
  });

  it('a campaign can retry transport failures with the no-answer delay', () => {
    const campaign = mergeRetryPolicy(policy, { overrides: { transport: { delay: 'no-answer' } } });
    expect(delayOf(decide({ kind: 'error', phase: 'resolve' }, {}, campaign))).toBe(900_000);
  });

  it('buildRetryPolicy takes overrides too', () => {
    const p = buildRetryPolicy({
      maxAttempts: 2,
      delays: { busyMs: 1, noAnswerMs: 2, carrierErrorMs: 3, machineMs: 4 },
      overrides: { '6xx': 'retry' },
    });
    expect(p.carrierErrorMaxMs).toBe(600_000);
    expect(decide(fail(607), {}, p)).toMatchObject({ action: 'retry', status: 'declined', rule: '6xx' });
    // The exact 603 row still wins over the class.
    expect(decide(fail(603), {}, p)).toMatchObject({ action: 'done', status: 'declined', rule: '603' });
  });

  it.each<[() => unknown, string]>([
    [() => buildRetryPolicy({ maxAttempts: 0, delays: policy.delays }), 'retryPolicy.maxAttempts'],
    [() => buildRetryPolicy({ maxAttempts: 1.5, delays: policy.delays }), 'retryPolicy.maxAttempts'],
    [
      () => buildRetryPolicy({ maxAttempts: 1, delays: { ...policy.delays, busyMs: -1 } }),
      'retryPolicy.delays.busyMs',
    ],
    [
      () => buildRetryPolicy({ maxAttempts: 1, delays: { ...policy.delays, noAnswerMs: Number.NaN } }),
      'retryPolicy.delays.noAnswerMs',
    ],
    [() => mergeRetryPolicy(policy, { carrierErrorMaxMs: 1_000 }), 'retryPolicy.carrierErrorMaxMs'],
    [() => mergeRetryPolicy(policy, { jitter: 'decorrelated' as 'full' }), 'retryPolicy.jitter'],
    [() => mergeRetryPolicy(policy, { overrides: { '99': 'final' } }), 'retryPolicy.overrides.99'],
    [() => mergeRetryPolicy(policy, { overrides: { busy: 'final' } }), 'retryPolicy.overrides.busy'],
    [
      () => mergeRetryPolicy(policy, { overrides: { '486': 'later' as 'final' } }),
      'retryPolicy.overrides.486.action',
    ],
    [
      () => mergeRetryPolicy(policy, { overrides: { '486': { status: 'gone' as 'busy' } } }),
      'retryPolicy.overrides.486.status',
    ],
    [
      () => mergeRetryPolicy(policy, { overrides: { '486': { delay: 'soon' as 'busy' } } }),
      'retryPolicy.overrides.486.delay',
    ],
    [
      () => mergeRetryPolicy(policy, { overrides: { '486': { wait: 1 } as never } }),
      'retryPolicy.overrides.486.wait',
    ],
  ])('refuses bad input naming the field (%#)', (run, field) => {
    let caught: unknown;
    try {
      run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRetryPolicyError);
    expect((caught as InvalidRetryPolicyError).field).toBe(field);
    expect((caught as InvalidRetryPolicyError).code).toBe('RETRY_POLICY_INVALID');
    expect((caught as Error).message.startsWith(field)).toBe(true);
  });
});

describe('decideRetry: answering-machine detection rows', () => {
  const answered = (extra: Partial<AttemptResult>): AttemptResult => ({
    kind: 'answered',
    status: 200,
    ...extra,
  });

  it('a machine hung up on is retried after the machine delay, then ends as machine', () => {
    const d = decide(answered({ answeredBy: 'machine' }));
    expect(d).toMatchObject({ action: 'retry', status: 'machine', rule: 'machine', trunkSignal: 'ok' });
    expect(delayOf(d)).toBe(FOUR_HOURS);
    const custom = mergeRetryPolicy(policy, { delays: { machineMs: 3_600_000 } });
    expect(delayOf(decide(answered({ answeredBy: 'machine' }), {}, custom))).toBe(3_600_000);
    expect(decide(answered({ answeredBy: 'machine' }), { attempt: 3 })).toMatchObject({
      action: 'done',
      status: 'machine',
    });
  });

  it('a message left ends the job as voicemail-left', () => {
    expect(decide(answered({ answeredBy: 'voicemail-left' }))).toMatchObject({
      action: 'done',
      status: 'voicemail-left',
    });
  });

  it.each(['vacant', 'intercept'])('SIT %s: invalid-number, no retry', (sit) => {
    expect(decide(answered({ sit }))).toMatchObject({
      action: 'done',
      status: 'invalid-number',
      rule: `sit-${sit}`,
    });
  });

  it.each(['no-circuit', 'reorder'])('SIT %s: carrier trouble, backed off', (sit) => {
    expect(decide(answered({ sit }))).toMatchObject({
      action: 'retry',
      status: 'unreachable',
      trunkSignal: 'carrier-error',
    });
  });

  it('the rows are overridable like any other', () => {
    const p = mergeRetryPolicy(policy, { overrides: { machine: 'final' } });
    expect(decide(answered({ answeredBy: 'machine' }), {}, p)).toMatchObject({
      action: 'done',
      status: 'machine',
    });
  });
});
