import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/index.js';
import type { AttemptResult } from '../jobs/index.js';
import type { AttemptMediaStats, AttemptRecord } from '../jobs/index.js';
import type { DialJob } from '../jobs/index.js';
import { callMediaRuntime, type CallMediaRuntime } from '../media/index.js';
import { DtmfCollector } from '../media/index.js';
import type { RtpPortLease, RtpPortPool } from '../media/index.js';
import type { Prompt } from '../media/index.js';
import { RtpSession } from '../media/index.js';
import { runCallScript, type CallScriptResult } from '../media/index.js';
import { buildSdpOffer, parseSdpAnswer, type SdpAnswer } from '../media/index.js';
import type { DialogSnapshot } from '../sip/index.js';
import type { CallEnd, CallLeg, SipEngine } from '../sip/index.js';
import type { SipTrunk } from '../sip/index.js';
import { attemptResultOf } from './attempt-result-of.js';
import type { CallEventSink } from '../jobs/index.js';
import { mergeHeaders } from '../kernel/index.js';

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
  /** Told when the call becomes endable by another worker (early, then confirmed). */
  readonly onDialog?: (snapshot: DialogSnapshot) => void;
  /** Pacing scheduler, prompt cache and media settings. Default: the process-wide runtime. */
  readonly media?: CallMediaRuntime;
}

export interface PlacedAttempt {
  readonly record: AttemptRecord;
  readonly result: AttemptResult;
}

/**
 * One INVITE and, when answered, the call until it ends: the script is done (prompt played,
 * digits collected), its hang-up time, the max call length, no RTP for the dead-call time, the
 * far end's BYE, or an abort. The RTP port goes back on every path.
 */
export async function placeAttempt(input: PlaceAttemptInput, record: AttemptRecord): Promise<PlacedAttempt> {
  const lease = input.ports.lease();
  try {
    const media = input.media ?? callMediaRuntime();
    const failed = (error: unknown): PlacedAttempt => {
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
    };
    // Before the INVITE: a prompt that cannot play must not ring anyone.
    let prompt: Prompt | undefined;
    if (input.job.script?.play !== undefined) {
      try {
        prompt = await media.prompts.load(input.job.script.play);
      } catch (error) {
        input.logger.error(
          { err: error, prompt: input.job.script.play },
          'prompt cannot be played; not dialing',
        );
        return failed(error);
      }
    }
    const sdp = buildSdpOffer({ address: lease.address, rtpPort: lease.rtpPort });
    const callerId = input.job.callerId ?? input.trunk.callerId;
    const headers = mergeHeaders(input.trunk.headers, input.job.headers);
    let leg: CallLeg;
    try {
      leg = await input.engine.invite({
        trunk: input.trunk,
        uri: input.uri,
        sdp,
        ...(callerId !== undefined ? { callerId } : {}),
        headers,
        ringTimeoutMs: input.ringTimeoutMs,
        signal: input.signal,
        ...(input.onDialog ? { onDialog: input.onDialog } : {}),
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
      return failed(error);
    }
    const answeredAt = Date.now();
    let held: HeldCall;
    try {
      input.events?.({
        type: 'answered',
        ...eventBase(input),
        attempt: input.attempt,
        callId: leg.callId,
        setupMs: leg.timings.setupMs,
        ...(leg.timings.postDialDelayMs !== undefined
          ? { postDialDelayMs: leg.timings.postDialDelayMs }
          : {}),
      });
      held = await holdCall(leg, input, lease, media, prompt);
    } finally {
      // Whatever threw above, the callee must not be left on an open line.
      if (!leg.end) await leg.hangup('error');
    }
    const { end } = held;
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
        endReason: end.reason,
        ...(held.digits !== undefined ? { digits: held.digits } : {}),
        ...(held.media !== undefined ? { media: held.media } : {}),
      },
    };
  } finally {
    lease.release();
  }
}

interface HeldCall {
  readonly end: CallEnd;
  readonly digits?: string;
  readonly media?: AttemptMediaStats;
}

/** Runs the call's media and script until one of the ends in `placeAttempt`'s comment. */
async function holdCall(
  leg: CallLeg,
  input: PlaceAttemptInput,
  lease: RtpPortLease,
  media: CallMediaRuntime,
  prompt: Prompt | undefined,
): Promise<HeldCall> {
  const script = input.job.script;
  const ends: Array<Promise<CallEnd>> = [new Promise<CallEnd>((resolve) => leg.on('ended', resolve))];

  const hangupAfter = Math.min(script?.hangupAfterMs ?? Infinity, input.maxCallLengthMs);
  const byScript = script?.hangupAfterMs !== undefined && hangupAfter === script.hangupAfterMs;
  let timer: NodeJS.Timeout | undefined;
  ends.push(
    new Promise<CallEnd>((resolve) => {
      timer = setTimeout(
        () => resolve(leg.hangup(byScript ? 'hangup-after' : 'max-call-length')),
        hangupAfter,
      );
    }),
  );

  const session = startSession(leg, input, lease, media);
  const heard: string[] = [];
  const collector = script?.collect ? new DtmfCollector(script.collect) : undefined;
  const onDigit = (digit: string): void => {
    heard.push(digit);
    collector?.push(digit);
  };
  leg.on('dtmf', (d) => onDigit(d.digit));
  session?.on('dtmf', (d) => onDigit(d.digit));
  if (session !== undefined) {
    ends.push(
      new Promise<CallEnd>((resolve) =>
        session.on('dead', (dead) => {
          input.logger.info({ callId: leg.callId, ...dead }, 'no RTP from the far end: hanging up');
          resolve(leg.hangup('rtp-timeout'));
        }),
      ),
    );
  }

  let scriptResult: CallScriptResult | undefined;
  if (prompt !== undefined || collector !== undefined) {
    if (session === undefined) {
      ends.push(leg.hangup('no-media'));
    } else {
      const plan = {
        ...(prompt !== undefined ? { prompt: prompt.encoded(session.stats.codec) } : {}),
        ...(script?.repeat !== undefined ? { repeat: script.repeat } : {}),
        ...(collector !== undefined ? { collector } : {}),
      };
      ends.push(
        runCallScript(session, plan).then((result) => {
          scriptResult = result;
          return leg.hangup('script-done');
        }),
      );
    }
  }

  const onAbort = (): void => void leg.hangup('aborted');
  input.signal.addEventListener('abort', onAbort, { once: true });
  if (input.signal.aborted) onAbort();
  let end: CallEnd;
  try {
    end = await Promise.race(ends);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onAbort);
    session?.close();
    collector?.close();
    if (!leg.end) await leg.hangup('cleanup');
  }
  const stats = session?.stats;
  const digits = collector !== undefined ? collector.digits : heard.length > 0 ? heard.join('') : undefined;
  return {
    end,
    ...(digits !== undefined ? { digits } : {}),
    ...(stats !== undefined
      ? {
          media: {
            codec: stats.codec,
            packetsSent: stats.packetsSent,
            packetsReceived: stats.packetsReceived,
            packetsLost: stats.packetsLost,
            jitterMs: stats.jitterMs,
            maxJitterMs: stats.maxJitterMs,
            remote: stats.remote,
            ssrcChanges: stats.ssrcChanges,
            dtmfReceived: stats.dtmfReceived,
            rtcpSent: stats.rtcpSent,
            rtcpReceived: stats.rtcpReceived,
            ...(prompt !== undefined ? { promptsPlayed: scriptResult?.played ?? 0 } : {}),
            ...(collector?.end !== undefined ? { collectEnd: collector.end } : {}),
            ...(stats.remoteReport !== undefined ? { remoteReport: stats.remoteReport } : {}),
          },
        }
      : {}),
  };
}

/** The call's RTP session, or `undefined` when the answer's SDP gives nothing to send to. */
function startSession(
  leg: CallLeg,
  input: PlaceAttemptInput,
  lease: RtpPortLease,
  media: CallMediaRuntime,
): RtpSession | undefined {
  let answer: SdpAnswer;
  try {
    answer = parseSdpAnswer(leg.remoteSdp);
  } catch (error) {
    input.logger.warn({ err: error, callId: leg.callId }, 'answer SDP unusable: the call has no media');
    return undefined;
  }
  // A far end that said it will not send (or put us on hold) is not dead for being quiet.
  const silentByAnswer =
    answer.direction === 'recvonly' ||
    answer.direction === 'inactive' ||
    /^0\.0\.0\.0$|^::$/.test(answer.address);
  return new RtpSession({
    lease,
    remote: { address: answer.address, port: answer.port },
    ...(answer.rtcpPort !== undefined
      ? {
          remoteRtcp: {
            port: answer.rtcpPort,
            ...(answer.rtcpAddress !== undefined ? { address: answer.rtcpAddress } : {}),
          },
        }
      : {}),
    codec: { name: answer.codec.name, payloadType: answer.codec.payloadType },
    ...(answer.telephoneEvent ? { telephoneEventPayloadType: answer.telephoneEvent.payloadType } : {}),
    send: !answer.held,
    deadAfterMs: silentByAnswer ? 0 : media.settings.deadCallMs,
    rtcpIntervalMs: media.settings.rtcpIntervalMs,
    scheduler: media.scheduler,
    logger: input.logger,
  }).start();
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
