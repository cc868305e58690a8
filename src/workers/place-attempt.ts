import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/index.js';
import type { AttemptResult } from '../jobs/index.js';
import type {
  AmdTimings,
  AttemptAmd,
  AttemptAttestation,
  AttemptMediaStats,
  AttemptRecord,
  AttemptRecording,
  AttemptSit,
} from '../jobs/index.js';
import type { CallScript, DialJob } from '../jobs/index.js';
import type { CallMediaRuntime } from '../media/index.js';
import { CallProgressWatch, CallRecorder, DtmfCollector, EarlyMediaSitWatch } from '../media/index.js';
import type { SitEvent } from '../media/index.js';
import type { RtpPortLease, RtpPortPool } from '../media/index.js';
import type { Prompt, WavFileResult } from '../media/index.js';
import type { RtpSession } from '../media/index.js';
import { runCallScript, type CallScriptResult } from '../media/index.js';
import { buildSdpOffer } from '../media/index.js';
import { cryptoValues, offerSrtp, type SrtpKeys } from '../media/index.js';
import { DEFAULT_SRTP_MODE, type SrtpMode } from '../config/index.js';
import type { DialogSnapshot } from '../sip/index.js';
import type { CallEnd, CallLeg, ProvisionalInfo, SipEngine } from '../sip/index.js';
import type { SipTrunk } from '../sip/index.js';
import { attemptResultOf } from './attempt-result-of.js';
import { CallMediaMoves } from './call-media-moves.js';
import { recordingPath } from './recording-path.js';
import { settleSrtp } from './settle-srtp.js';
import type { SrtpOffer } from './srtp-offer.js';
import { startSession } from './start-session.js';
import type { CallEventSink } from '../jobs/index.js';
import { mergeHeaders } from '../kernel/index.js';

export interface PlaceAttemptInput {
  readonly engine: SipEngine;
  readonly ports: RtpPortPool;
  readonly trunk: SipTrunk & {
    headers?: Readonly<Record<string, string>>;
    media?: { readonly srtp?: SrtpMode };
  };
  readonly job: DialJob;
  /** The caller ID to present, settled by the call processor (pool, job, campaign, trunk). */
  readonly callerId?: string;
  readonly callerIdWithheld?: boolean;
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
  /** Pacing scheduler, prompt cache and media settings of the worker placing the call. */
  readonly media: CallMediaRuntime;
  /** Answering-machine detection on, with these analyzer timings (the job's, else the campaign's). */
  readonly amd?: AmdTimings;
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
    const { media } = input;
    // The last attestation a response carried: a 2xx's replaces a 18x's.
    let attestation: AttemptAttestation | undefined;
    const failed = (error: unknown, sit?: SitEvent): PlacedAttempt => {
      // A SIT in early media says what became of the call, whatever final answer followed it.
      const result = { ...attemptResultOf(error), ...(sit !== undefined ? { sit: sit.sit } : {}) };
      return {
        result,
        record: {
          ...record,
          state: 'done',
          endedAt: Date.now(),
          ...(attestation !== undefined && { attestation }),
          ...(result.status !== undefined ? { sipCode: result.status } : {}),
          ...(result.reason !== undefined ? { reason: result.reason } : {}),
          ...(result.phase !== undefined ? { phase: result.phase } : {}),
          ...(result.errorCode !== undefined ? { errorCode: result.errorCode } : {}),
          ...(sit !== undefined ? { sit: attemptSitOf(sit, true) } : {}),
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
    const srtpMode = input.trunk.media?.srtp ?? DEFAULT_SRTP_MODE;
    // Fresh keys per call (crypto.randomBytes); they live in this call's memory only.
    const offeredCrypto = srtpMode === 'off' ? undefined : offerSrtp();
    const sdp =
      offeredCrypto === undefined
        ? buildSdpOffer({ address: lease.address, rtpPort: lease.rtpPort })
        : buildSdpOffer({
            address: lease.address,
            rtpPort: lease.rtpPort,
            protocol: srtpMode === 'required' ? 'RTP/SAVP' : 'RTP/AVP',
            crypto: cryptoValues(offeredCrypto),
          });
    const srtp: SrtpOffer = { mode: srtpMode, offered: offeredCrypto };
    const { callerId } = input;
    const headers = mergeHeaders(input.trunk.headers, input.job.headers);
    // With amd on, early media (a 183 with SDP) is listened to for a SIT until the final answer.
    let early: { session: RtpSession; watch: EarlyMediaSitWatch } | undefined;
    const endEarlyMedia = (): SitEvent | undefined => {
      early?.watch.close();
      early?.session.close();
      return early?.watch.sit;
    };
    const onProvisional = (p: ProvisionalInfo): void => {
      if (p.attestation !== undefined) attestation = p.attestation;
      input.events?.({
        type: 'ringing',
        ...eventBase(input),
        attempt: input.attempt,
        status: p.status,
        afterMs: p.afterMs,
      });
      if (p.sdp === undefined || early !== undefined || input.amd === undefined) return;
      const session = startSession(p.sdp, undefined, input, lease, media, true, srtp);
      if (session !== undefined) early = { session, watch: new EarlyMediaSitWatch(session, input.amd) };
    };
    const moves = new CallMediaMoves(input.logger, srtpMode);
    let leg: CallLeg;
    try {
      leg = await input.engine.invite({
        trunk: input.trunk,
        uri: input.uri,
        sdp,
        ...(callerId !== undefined ? { callerId } : {}),
        ...(input.callerIdWithheld === true && { callerIdWithheld: true }),
        headers,
        ringTimeoutMs: input.ringTimeoutMs,
        signal: input.signal,
        ...(input.onDialog ? { onDialog: input.onDialog } : {}),
        onProvisional,
        answerOffer: moves.answerOffer,
      });
    } catch (error) {
      return failed(error, endEarlyMedia());
    }
    const earlySit = endEarlyMedia();
    const answeredAt = Date.now();
    // An UPDATE before the answer that we answered with crypto settled the keys when the call goes
    // on with its SDP; otherwise the 2xx's answer to our offer does.
    const answeredKeys = moves.keysAnswered(leg.remoteSdp);
    const settled = answeredKeys !== undefined ? { keys: answeredKeys } : settleSrtp(leg.remoteSdp, srtp);
    if ('refused' in settled) {
      const { refused } = settled;
      // Answered, but media would go out in clear (or not be understood): end the call now.
      input.logger.warn({ callId: leg.callId, reason: refused.message }, 'SRTP not agreed: hanging up');
      const end = await leg.hangup('srtp-negotiation-failed');
      const done = failed(refused, earlySit);
      return {
        result: done.result,
        record: { ...done.record, sipCode: 200, callId: leg.callId, endedAt: end.at, hangupBy: end.by },
      };
    }
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
      held =
        earlySit === undefined
          ? await holdCall(leg, input, lease, media, prompt, moves, srtp, settled.keys)
          : // The network said the call failed before it answered: nobody is there to hear a script.
            { end: await leg.hangup('sit'), sit: attemptSitOf(earlySit, true), sitDecides: true };
    } finally {
      // Whatever threw above, the callee must not be left on an open line.
      if (!leg.end) await leg.hangup('error');
    }
    const { end } = held;
    return {
      result: {
        kind: 'answered',
        status: 200,
        reason: held.answeredBy === undefined ? 'OK' : `OK, answered by a machine`,
        ...(held.answeredBy !== undefined ? { answeredBy: held.answeredBy } : {}),
        ...(held.sit !== undefined && held.sitDecides ? { sit: held.sit.class } : {}),
      },
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
        ...((leg.attestation ?? attestation) !== undefined && {
          attestation: leg.attestation ?? attestation,
        }),
        talkMs: end.at - answeredAt,
        hangupBy: end.by,
        endReason: end.reason,
        ...(held.digits !== undefined ? { digits: held.digits } : {}),
        ...(held.media !== undefined ? { media: held.media } : {}),
        ...(held.amd !== undefined ? { amd: held.amd } : {}),
        ...(held.sit !== undefined ? { sit: held.sit } : {}),
        ...(held.recording !== undefined ? { recording: held.recording } : {}),
        // Answered, but by no person: a later attempt may ring the number again (the fence allows it).
        ...(held.answeredBy === 'machine' || held.sitDecides ? { noPerson: true } : {}),
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
  readonly amd?: AttemptAmd;
  readonly sit?: AttemptSit;
  readonly recording?: AttemptRecording;
  readonly answeredBy?: 'machine' | 'voicemail-left';
  /** A SIT was heard and counts for the call's fate (false when it came after a person's decision). */
  readonly sitDecides: boolean;
}

/** Runs the call's media and script until one of the ends in `placeAttempt`'s comment. */
async function holdCall(
  leg: CallLeg,
  input: PlaceAttemptInput,
  lease: RtpPortLease,
  media: CallMediaRuntime,
  prompt: Prompt | undefined,
  moves: CallMediaMoves,
  srtp: SrtpOffer,
  keys: SrtpKeys | undefined,
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

  const session = startSession(leg.remoteSdp, leg.callId, input, lease, media, false, srtp, { keys });
  if (session !== undefined) moves.follow(leg, session, keys);
  // Listening starts with the session, so the greeting's first word is not missed.
  const watch =
    session !== undefined && input.amd !== undefined ? new CallProgressWatch(session, input.amd) : undefined;
  const record = script?.record;
  const recorder =
    session !== undefined && record !== undefined && record !== 'off'
      ? new CallRecorder(
          session,
          recordingPath(media.settings.recordingsDir, input.jobId, input.attempt),
          record,
        )
      : undefined;
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
  const runScript = (): Promise<CallEnd> | undefined => {
    if (prompt === undefined && collector === undefined) return undefined;
    if (session === undefined) return leg.hangup('no-media');
    const plan = {
      ...(prompt !== undefined ? { prompt } : {}),
      ...(script?.repeat !== undefined ? { repeat: script.repeat } : {}),
      ...(collector !== undefined ? { collector } : {}),
    };
    return runCallScript(session, plan).then((result) => {
      scriptResult = result;
      return leg.hangup('script-done');
    });
  };
  let answeredBy: 'machine' | 'voicemail-left' | undefined;
  if (watch === undefined || session === undefined) {
    const scripted = runScript();
    if (scripted !== undefined) ends.push(scripted);
  } else {
    // The network's "this call failed" tone ends the call whatever was decided.
    // Not after a person was heard, though: SIT is listened for until beepWindowMs, and a tone the
    // person's line plays (or a false match on their voice) must not hang up on them; it is kept
    // on the attempt as information only.
    ends.push(
      new Promise<CallEnd>((resolve) =>
        watch.once('sit', () => {
          if (watch.decision?.result !== 'human') resolve(leg.hangup('sit'));
        }),
      ),
    );
    // The script waits for the decision: a person hears it from its start, a machine never does.
    ends.push(
      watch.decided().then(async (decision): Promise<CallEnd> => {
        if (leg.end) return leg.end;
        const person =
          decision.result === 'human' || (decision.result === 'unknown' && script?.onUnknown !== 'hangup');
        if (person) return runScript() ?? new Promise<CallEnd>(() => undefined);
        if (decision.result === 'unknown') return leg.hangup('amd-unknown');
        if (script?.onMachine === 'leaveMessage' && prompt !== undefined) {
          await watch.messageCue();
          if (leg.end) return leg.end;
          const how = await session.play(prompt);
          scriptResult = { played: how === 'played' ? 1 : 0, bargedIn: false };
          if (how === 'played') answeredBy = 'voicemail-left';
          return leg.hangup('voicemail-left');
        }
        answeredBy = 'machine';
        return leg.hangup('machine');
      }),
    );
  }

  const onAbort = (): void => void leg.hangup('aborted');
  input.signal.addEventListener('abort', onAbort, { once: true });
  if (input.signal.aborted) onAbort();
  let end: CallEnd;
  let recording: WavFileResult | undefined;
  try {
    end = await Promise.race(ends);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onAbort);
    watch?.close();
    const recorded = recorder?.close();
    session?.close();
    collector?.close();
    if (!leg.end) await leg.hangup('cleanup');
    recording = await recorded;
  }
  if (recording !== undefined && 'error' in recording) {
    // The call went on regardless; only its recording is lost.
    input.logger.warn(
      { callId: leg.callId, path: recording.path, error: recording.error },
      'call recording failed',
    );
  }
  const decision = watch?.decision;
  const sit = watch?.sit;
  // A SIT heard after a person's decision was ignored for the call (see above): it says nothing
  // of who answered, and must not make the attempt a no-person one or a carrier error.
  const sitDecides = sit !== undefined && decision?.result !== 'human';
  const who = answeredBy ?? answeredByDecision(decision, script);
  const digits = collector !== undefined ? collector.digits : heard.length > 0 ? heard.join('') : undefined;
  const amd = decision !== undefined ? attemptAmdOf(decision, watch?.beep?.atMs) : undefined;
  const mediaStats =
    session !== undefined ? attemptMediaOf(session.stats, { prompt, scriptResult, collector }) : undefined;
  return {
    end,
    ...(digits !== undefined ? { digits } : {}),
    ...(who !== undefined ? { answeredBy: who } : {}),
    sitDecides,
    ...(amd !== undefined ? { amd } : {}),
    ...(sit !== undefined ? { sit: attemptSitOf(sit, false) } : {}),
    ...(recording !== undefined ? { recording: attemptRecordingOf(recording) } : {}),
    ...(mediaStats !== undefined ? { media: mediaStats } : {}),
  };
}

/**
 * Who answered, from the decision rather than from the branch that ended the call: a machine is
 * a machine also when it hung up first, when hangupAfterMs or the dead-call time ended the wait
 * for its beep, or when the message did not play. An unknown we hung up on (onUnknown: hangup)
 * reached no person either.
 */
function answeredByDecision(
  decision: CallProgressWatch['decision'],
  script: CallScript | undefined,
): 'machine' | undefined {
  if (decision === undefined) return undefined;
  if (decision.result === 'machine') return 'machine';
  if (decision.result === 'unknown' && decision.reason !== 'sit' && script?.onUnknown === 'hangup')
    return 'machine';
  return undefined;
}

function attemptAmdOf(
  decision: NonNullable<CallProgressWatch['decision']>,
  beepAtMs: number | undefined,
): AttemptAmd {
  return {
    result: decision.result,
    reason: decision.reason,
    decisionMs: decision.decisionMs,
    greetingMs: decision.greetingMs,
    words: decision.words,
    ...(beepAtMs !== undefined ? { beepAtMs } : {}),
  };
}

function attemptRecordingOf(recording: WavFileResult): AttemptRecording {
  return 'error' in recording
    ? { path: recording.path, error: recording.error }
    : { path: recording.path, durationMs: recording.durationMs, channels: recording.channels };
}

function attemptMediaOf(
  stats: RtpSession['stats'],
  call: {
    readonly prompt: Prompt | undefined;
    readonly scriptResult: CallScriptResult | undefined;
    readonly collector: DtmfCollector | undefined;
  },
): AttemptMediaStats {
  return {
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
    ...(call.prompt !== undefined ? { promptsPlayed: call.scriptResult?.played ?? 0 } : {}),
    ...(call.collector?.end !== undefined ? { collectEnd: call.collector.end } : {}),
    ...(stats.remoteReport !== undefined ? { remoteReport: stats.remoteReport } : {}),
    ...(stats.srtp !== undefined ? { srtp: stats.srtp } : {}),
  };
}

function attemptSitOf(sit: SitEvent, early: boolean): AttemptSit {
  return { class: sit.sit, code: sit.code, atMs: sit.atMs, ...(early ? { early: true } : {}) };
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
  callerId?: string;
  callerIdWithheld?: boolean;
}): AttemptRecord {
  return {
    attempt: input.attempt,
    id: randomUUID(),
    uri: input.uri,
    dialFormat: input.dialFormat,
    startedAt: Date.now(),
    state: 'live',
    worker: input.workerId,
    ...(input.callerId !== undefined && { callerId: input.callerId }),
    ...(input.callerIdWithheld === true && { callerIdWithheld: true }),
  };
}
