import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { createMetricsRegistry, deferralCause, registerCallMetrics } from '../../../src/metrics/index.js';

const base = { jobId: 'j1', trunk: 'carrier', to: '+5534984149880', at: 1 };

async function value(registry: ReturnType<typeof createMetricsRegistry>, name: string, labels = {}) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const match = (metric?.values ?? []).find((v) =>
    Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want),
  );
  return match?.value;
}

describe('call metrics', () => {
  it('counts outcomes by trunk, status and last SIP code, and attempts by SIP code', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const calls = registerCallMetrics(registry);
    calls.observe({ ...base, type: 'initiated', attempt: 1, uri: 'sip:+55@c' });
    expect(await value(registry, 'dialer_active_calls', { trunk: 'carrier' })).toBe(1);
    calls.observe({
      ...base,
      type: 'attempt-ended',
      record: { attempt: 1, id: 'a', uri: 'sip:+55@c', startedAt: 1, state: 'done', sipCode: 404 },
    });
    calls.observe({ ...base, type: 'initiated', attempt: 1, uri: 'sip:55@c' });
    calls.observe({ ...base, type: 'ringing', attempt: 1, status: 180, afterMs: 250 });
    calls.observe({ ...base, type: 'ringing', attempt: 1, status: 183, afterMs: 900 });
    calls.observe({
      ...base,
      type: 'answered',
      attempt: 1,
      callId: 'c1',
      setupMs: 1500,
      postDialDelayMs: 250,
    });
    expect(await value(registry, 'dialer_active_calls', { trunk: 'carrier' })).toBe(1);
    calls.observe({
      ...base,
      type: 'attempt-ended',
      record: { attempt: 1, id: 'b', uri: 'sip:55@c', startedAt: 1, state: 'done', sipCode: 200 },
    });
    const outcome: CallOutcome = {
      jobId: 'j1',
      to: base.to,
      trunk: 'carrier',
      status: 'answered',
      reason: 'OK',
      attempts: [{ attempt: 1, id: 'b', uri: 'sip:55@c', startedAt: 1, state: 'done', sipCode: 200 }],
      enqueuedAt: 0,
      completedAt: 2,
    };
    calls.observe({ ...base, type: 'completed', outcome });
    calls.observe({
      ...base,
      jobId: 'j2',
      type: 'completed',
      outcome: { ...outcome, jobId: 'j2', status: 'blocked', attempts: [] },
    });

    expect(await value(registry, 'dialer_active_calls', { trunk: 'carrier' })).toBe(0);
    expect(
      await value(registry, 'dialer_calls_completed_total', { status: 'answered', sip_code: '200' }),
    ).toBe(1);
    expect(
      await value(registry, 'dialer_calls_completed_total', { status: 'blocked', sip_code: 'none' }),
    ).toBe(1);
    expect(await value(registry, 'dialer_call_attempts_total', { sip_code: '404' })).toBe(1);
    expect(await value(registry, 'dialer_call_attempts_total', { sip_code: '200' })).toBe(1);
    // One post-dial delay per attempt: the first provisional, not the 183 after it.
    expect(await value(registry, 'dialer_post_dial_delay_seconds', { le: 0.25 })).toBe(1);
    expect(await value(registry, 'dialer_post_dial_delay_seconds', { le: '+Inf' })).toBe(1);
    expect(await value(registry, 'dialer_call_setup_seconds', { le: 1 })).toBe(0);
    expect(await value(registry, 'dialer_call_setup_seconds', { le: 2 })).toBe(1);
  });

  it('counts deferrals by a bounded cause', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const calls = registerCallMetrics(registry);
    calls.observe({ ...base, type: 'deferred', reason: 'trunk pace', until: 2 });
    calls.observe({ ...base, type: 'deferred', reason: 'all trunk channels busy', until: 2 });
    calls.observe({ ...base, type: 'deferred', reason: 'outside calling hours in Europe/Paris', until: 2 });
    expect(await value(registry, 'dialer_jobs_deferred_total', { cause: 'pace' })).toBe(1);
    expect(await value(registry, 'dialer_jobs_deferred_total', { cause: 'channels' })).toBe(1);
    expect(await value(registry, 'dialer_jobs_deferred_total', { cause: 'calling-hours' })).toBe(1);
    expect(deferralCause('trunk circuit open: 5 carrier errors')).toBe('circuit');
    expect(deferralCause('campaign paused')).toBe('campaign-paused');
    expect(deferralCause('daily attempt cap (3) reached')).toBe('daily-cap');
    expect(deferralCause('number has a live call')).toBe('live-call');
    expect(deferralCause('something new')).toBe('other');
  });

  it('keeps registries apart and adds process metrics only when asked', async () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry({ defaultMetrics: false, labels: { service: 'api' } });
    registerCallMetrics(a);
    registerCallMetrics(b);
    expect(await a.metrics()).toContain('process_cpu_user_seconds_total');
    const text = await b.metrics();
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(text).toContain('dialer_calls_completed_total');
  });
});

describe('call metrics: answering-machine detection', () => {
  it('counts decisions per result and reason, and observes their time', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const calls = registerCallMetrics(registry);
    const ended = (id: string, result: 'human' | 'machine', reason: string, decisionMs: number): void =>
      calls.observe({
        ...base,
        type: 'attempt-ended',
        record: {
          attempt: 1,
          id,
          uri: 'sip:55@c',
          startedAt: 1,
          state: 'done',
          sipCode: 200,
          amd: { result, reason, decisionMs, greetingMs: 400, words: 1 },
        },
      });
    ended('a', 'human', 'human-silence-after-greeting', 900);
    ended('b', 'machine', 'long-greeting', 1900);
    ended('c', 'machine', 'long-greeting', 2100);
    calls.observe({
      ...base,
      type: 'attempt-ended',
      record: { attempt: 1, id: 'd', uri: 'sip:55@c', startedAt: 1, state: 'done', sipCode: 486 },
    });
    expect(
      await value(registry, 'dialer_amd_decisions_total', { result: 'machine', reason: 'long-greeting' }),
    ).toBe(2);
    expect(await value(registry, 'dialer_amd_decisions_total', { result: 'human' })).toBe(1);
    const text = await registry.getSingleMetricAsString('dialer_amd_decision_seconds');
    expect(text).toContain('dialer_amd_decision_seconds_count{trunk="carrier",result="machine"} 2');
  });
});

describe('call metrics: SRTP', () => {
  it("adds each ended attempt's SRTP drops by reason, and nothing for plain RTP", async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const calls = registerCallMetrics(registry);
    const media = {
      codec: 'PCMU' as const,
      packetsSent: 100,
      packetsReceived: 90,
      packetsLost: 0,
      jitterMs: 1,
      maxJitterMs: 2,
      remote: '198.51.100.7:30000',
      ssrcChanges: 0,
      dtmfReceived: 0,
      rtcpSent: 1,
      rtcpReceived: 1,
    };
    const ended = (id: string, srtp?: { authFailures: number; replayed: number }): void =>
      calls.observe({
        ...base,
        type: 'attempt-ended',
        record: {
          attempt: 1,
          id,
          uri: 'sip:55@c',
          startedAt: 1,
          state: 'done',
          sipCode: 200,
          media: { ...media, ...(srtp ? { srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', ...srtp } } : {}) },
        },
      });
    ended('a', { authFailures: 3, replayed: 1 });
    ended('b', { authFailures: 2, replayed: 0 });
    ended('c');
    expect(await value(registry, 'dialer_srtp_dropped_total', { trunk: 'carrier', reason: 'auth' })).toBe(5);
    expect(await value(registry, 'dialer_srtp_dropped_total', { trunk: 'carrier', reason: 'replay' })).toBe(
      1,
    );
    const text = await registry.getSingleMetricAsString('dialer_srtp_dropped_total');
    expect(text).toContain('dialer_srtp_dropped_total{trunk="carrier",reason="auth"} 5');
  });
});
