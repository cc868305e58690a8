import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/create-logger.js';
import type { AttemptRecord } from '../jobs/call-outcome.js';
import type { AttemptResult } from '../jobs/attempt-result.js';
import type { DialJob } from '../jobs/dial-job.js';
import type { RtpPortPool } from '../media/port-pool.js';
import { buildSdpOffer } from '../media/sdp.js';
import type { CallEnd, SipEngine } from '../sip/engine.js';
import type { SipTrunk } from '../sip/sip-trunk.js';
import { attemptResultOf } from './attempt-result-of.js';
import type { CallEventSink } from './call-lifecycle-event.js';

export interface PlaceAttemptInput {
  readonly engine: SipEngine;
  readonly ports: RtpPortPool;
  readonly trunk: SipTrunk & { callerId?: string; headers?: Readonly<Record<string, string>> };
  readonly job: DialJob;
  readonly uri: string;
  readonly attempt: number;
  readonly dialFormat: string;
  readonly ringTimeoutMs: number;
  readonly maxCallLengthMs: number;
  readonly workerId: string;
  readonly logger: Logger;
  /** Aborts ringing (CANCEL) or a live call (BYE). */
  readonly signal: AbortSignal;
  readonly jobId: string;
  /** Lifecycle events (ringing, answered) for metrics and status callbacks. */
  readonly events?: CallEventSink;
}

export interface PlacedAttempt {
  readonly record: AttemptRecord;
  readonly result: AttemptResult;
}

/**
 * One INVITE and, when answered, the call until it ends: the script's hang-up time, the max call
 * length, the far end's BYE, or an abort. The RTP port goes back on every path.
 */
export async function placeAttempt(input: PlaceAttemptInput, record: AttemptRecord): Promise<PlacedAttempt> {
  const lease = input.ports.lease();
  try {
    const sdp = buildSdpOffer({ address: lease.address, rtpPort: lease.rtpPort });
    const callerId = input.job.callerId ?? input.trunk.callerId;
    const headers = { ...(input.trunk.headers ?? {}), ...(input.job.headers ?? {}) };
    let leg;
    try {
      leg = await input.engine.invite({
        trunk: input.trunk,
        uri: input.uri,
        sdp,
        ...(callerId !== undefined ? { callerId } : {}),
        headers,
        ringTimeoutMs: input.ringTimeoutMs,
        signal: input.signal,
        ...(input.events
          ? {
              onProvisional: (p: { status: number; afterMs: number }) =>
                input.events?.({
                  type: 'ringing',
                  ...eventBase(input),
                  attempt: input.attempt,
                  status: p.status,
                  afterMs: p.afterMs,
                }),
            }
          : {}),
      });
    } catch (error) {
      const result = attemptResultOf(error);
      return {
        result,
        record: {
          ...record,
          state: 'done',
          endedAt: Date.now(),
          ...(result.status !== undefined ? { sipCode: result.status } : {}),
          ...(result.reason !== undefined ? { reason: result.reason } : {}),
          ...(result.phase !== undefined ? { phase: result.phase } : {}),
        },
      };
    }
    const answeredAt = Date.now();
    input.events?.({
      type: 'answered',
      ...eventBase(input),
      attempt: input.attempt,
      callId: leg.callId,
      setupMs: leg.timings.setupMs,
      ...(leg.timings.postDialDelayMs !== undefined ? { postDialDelayMs: leg.timings.postDialDelayMs } : {}),
    });
    const end = await holdCall(leg, input);
    return {
      result: { kind: 'answered', status: 200, reason: 'OK' },
      record: {
        ...record,
        state: 'done',
        endedAt: end.at,
        sipCode: 200,
        reason: `answered; ended by ${end.by} (${end.reason})`,
        callId: leg.callId,
        inviteSentAt: leg.timings.inviteSentAt,
        setupMs: leg.timings.setupMs,
        ...(leg.timings.postDialDelayMs !== undefined
          ? { postDialDelayMs: leg.timings.postDialDelayMs }
          : {}),
        talkMs: end.at - answeredAt,
        hangupBy: end.by,
      },
    };
  } finally {
    lease.release();
  }
}

async function holdCall(
  leg: Awaited<ReturnType<SipEngine['invite']>>,
  input: PlaceAttemptInput,
): Promise<CallEnd> {
  const remoteEnd = new Promise<CallEnd>((resolve) => leg.on('ended', resolve));
  const hangupAfter = Math.min(input.job.script?.hangupAfterMs ?? Infinity, input.maxCallLengthMs);
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<CallEnd>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          leg.hangup(
            input.job.script?.hangupAfterMs !== undefined && hangupAfter === input.job.script.hangupAfterMs
              ? 'script-done'
              : 'max-call-length',
          ),
        ),
      hangupAfter,
    );
  });
  const onAbort = (): void => void leg.hangup('aborted');
  input.signal.addEventListener('abort', onAbort, { once: true });
  if (input.signal.aborted) onAbort();
  try {
    return await Promise.race([remoteEnd, timeUp]);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onAbort);
    if (!leg.end) await leg.hangup('cleanup');
  }
}

function eventBase(input: PlaceAttemptInput): {
  jobId: string;
  trunk: string;
  campaign?: string;
  to: string;
  at: number;
} {
  return {
    jobId: input.jobId,
    trunk: input.trunk.name,
    ...(input.job.campaign !== undefined ? { campaign: input.job.campaign } : {}),
    to: input.job.number,
    at: Date.now(),
  };
}

export function newAttemptRecord(input: {
  attempt: number;
  uri: string;
  dialFormat: string;
  workerId: string;
}): AttemptRecord {
  return {
    attempt: input.attempt,
    id: randomUUID(),
    uri: input.uri,
    dialFormat: input.dialFormat,
    startedAt: Date.now(),
    state: 'live',
    worker: input.workerId,
  };
}
