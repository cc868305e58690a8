import { z } from 'zod';
import { FINAL_STATUSES, type FinalStatus } from './final-status.js';

/** One INVITE attempt (a format fallback is its own attempt record with the same `attempt` number). */
export interface AttemptRecord {
  /** 1-based attempt number (format fallbacks share it). */
  readonly attempt: number;
  /** Unique id: fences the attempt in Redis. */
  readonly id: string;
  readonly uri: string;
  readonly dialFormat?: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** ms since the epoch when the INVITE left (answered calls). */
  readonly inviteSentAt?: number;
  readonly endedAt?: number;
  /** `live` while the INVITE may be alive; `interrupted` when a worker died during it. */
  readonly state: 'live' | 'done' | 'interrupted';
  readonly sipCode?: number;
  readonly reason?: string;
  readonly phase?: string;
  readonly postDialDelayMs?: number;
  readonly setupMs?: number;
  readonly talkMs?: number;
  readonly hangupBy?: 'local' | 'remote' | 'error';
  /**
   * Why an answered call ended: `bye` (the far end hung up), `script-done`, `hangup-after`,
   * `max-call-length`, `rtp-timeout` (no RTP from the far end for the dead-call time),
   * `aborted`, `session-timer-expired`, …
   */
  readonly endReason?: string;
  /** Digits the callee pressed (RFC 4733 or SIP INFO); with a collect step, the collected ones. */
  readonly digits?: string;
  /** RTP figures of an answered call. */
  readonly media?: AttemptMediaStats;
  /** Answering-machine detection's decision on an answered call with `amd` on. */
  readonly amd?: AttemptAmd;
  /** A special information tone heard in early media or after the answer (the network saying the call failed). */
  readonly sit?: AttemptSit;
  /** The call's recording (`script.record`): where it is and how long, or why there is none. */
  readonly recording?: AttemptRecording;
  /**
   * Answered, but no person was reached (a machine hung up on, a SIT): unlike other answered
   * attempts it does not stop a later attempt from ringing the number.
   */
  readonly noPerson?: boolean;
  readonly callId?: string;
  /** The caller ID the INVITE presented (a pool's pick, the job's, the campaign's or the trunk's). */
  readonly callerId?: string;
  /** The caller ID was withheld from the callee: anonymous From, `Privacy: id`. */
  readonly callerIdWithheld?: boolean;
  /** STIR/SHAKEN attestation a carrier's 18x or 2xx carried; untrusted, recorded as received. */
  readonly attestation?: AttemptAttestation;
  readonly worker?: string;
  /** What the retry policy decided after it: `retry: 486 Busy Here …`. */
  readonly decision?: string;
  /** The status the job would end with if this were the last attempt. */
  readonly pointsTo?: FinalStatus;
  /**
   * The attempt was held as a suspected trunk fault (credentials refused, 403 right after them):
   * it does not count towards max attempts; the number is dialled again when the trunk is healthy.
   */
  readonly trunkFault?: boolean;
  /** The stable code of a failure that is the trunk's, not the carrier's answer: `TLS_CERTIFICATE_REJECTED`. */
  readonly errorCode?: string;
  /** Set when the worker that placed the call died and another one ended the call for it. */
  readonly orphan?: OrphanEnd;
}

/** What a carrier said of the caller ID (RFC 8588 `attest`, ATIS-1000074 `verstat`). */
export interface AttemptAttestation {
  readonly attest?: 'A' | 'B' | 'C';
  readonly verstat?: string;
  /** The status of the response that carried it. */
  readonly status: number;
}

/** How a live worker ended a dead worker's call. */
export interface OrphanEnd {
  /** The worker that ended it. */
  readonly endedBy: string;
  /** BYE for an answered call, CANCEL for one still ringing. */
  readonly method: 'BYE' | 'CANCEL';
  /** The carrier's answer to the BYE (a CANCEL's answer goes to the dead worker). */
  readonly status?: number;
  /** ms since the epoch. */
  readonly at: number;
  /** What went wrong, when the carrier did not answer the BYE. */
  readonly error?: string;
}

/** Who answered, as the call progress analyzer decided; times are ms of the callee's audio. */
export interface AttemptAmd {
  readonly result: 'human' | 'machine' | 'unknown';
  /** `human-silence-after-greeting`, `long-greeting`, `max-words`, `beep`, `initial-silence`, … */
  readonly reason: string;
  readonly decisionMs: number;
  readonly greetingMs: number;
  readonly words: number;
  /** When the voicemail beep started, if one was heard. */
  readonly beepAtMs?: number;
}

/**
 * A recording that was written (`path`, `durationMs` of audio, `channels`), or one that failed
 * (`error`, with the path it was meant for): a failed recording never fails the call.
 */
export type AttemptRecording =
  | { readonly path: string; readonly durationMs: number; readonly channels: number }
  | { readonly path: string; readonly error: string };

export interface AttemptSit {
  /** `intercept`, `vacant`, `no-circuit`, `reorder`, `unknown-sit`. */
  readonly class: string;
  readonly code: string;
  /** ms of the callee's audio (of the early media, with `early`). */
  readonly atMs: number;
  /** Heard in early media (a 183 with SDP), before any answer. */
  readonly early?: boolean;
}

/** What flowed on an answered call's RTP stream. */
export interface AttemptMediaStats {
  /** The codec the answer chose. */
  readonly codec: 'PCMU' | 'PCMA';
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** From the far end's sequence numbers (RFC 3550 A.3). */
  readonly packetsLost: number;
  /** Interarrival jitter at the end of the call (RFC 3550 A.8), and its highest value, ms. */
  readonly jitterMs: number;
  readonly maxJitterMs: number;
  /** `address:port` our RTP went to (where the far end's RTP came from, once it came). */
  readonly remote: string;
  readonly ssrcChanges: number;
  readonly dtmfReceived: number;
  readonly rtcpSent: number;
  readonly rtcpReceived: number;
  /** Prompt plays completed. */
  readonly promptsPlayed?: number;
  /** How digit collection ended: `max-digits`, `terminator`, `timeout`, `stopped`. */
  readonly collectEnd?: string;
  /** The far end's RTCP view of our stream. */
  readonly remoteReport?: {
    readonly fractionLost: number;
    readonly cumulativeLost: number;
    readonly jitterMs: number;
    readonly rttMs?: number;
  };
  /**
   * Present when the call's media was SRTP: the suite, and the packets dropped because their tag
   * did not verify (a wrong key, tampering) or they were replays. Never a key.
   */
  readonly srtp?: {
    readonly suite: string;
    readonly authFailures: number;
    readonly replayed: number;
  };
}

/** The one final outcome of a job. */
export interface CallOutcome {
  readonly jobId: string;
  readonly to: string;
  readonly trunk: string;
  readonly campaign?: string;
  readonly status: FinalStatus;
  readonly reason: string;
  readonly attempts: readonly AttemptRecord[];
  readonly enqueuedAt: number;
  readonly completedAt: number;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly digits?: string;
  readonly talkMs?: number;
  /** The last answering-machine decision among the attempts (each attempt keeps its own). */
  readonly amd?: AttemptAmd;
}

export const attemptMediaStatsSchema = z
  .object({
    codec: z.enum(['PCMU', 'PCMA']),
    packetsSent: z.number().int().min(0),
    packetsReceived: z.number().int().min(0),
    packetsLost: z.number().int().min(0),
    jitterMs: z.number().min(0),
    maxJitterMs: z.number().min(0),
    remote: z.string(),
    ssrcChanges: z.number().int().min(0),
    dtmfReceived: z.number().int().min(0),
    rtcpSent: z.number().int().min(0),
    rtcpReceived: z.number().int().min(0),
    promptsPlayed: z.number().int().min(0).optional(),
    collectEnd: z.string().optional(),
    remoteReport: z
      .object({
        fractionLost: z.number(),
        cumulativeLost: z.number(),
        jitterMs: z.number(),
        rttMs: z.number().optional(),
      })
      .loose()
      .optional(),
    srtp: z
      .object({
        suite: z.string(),
        authFailures: z.number().int().min(0),
        replayed: z.number().int().min(0),
      })
      .loose()
      .optional(),
  })
  .loose();

const attemptAmdSchema = z
  .object({
    result: z.enum(['human', 'machine', 'unknown']),
    reason: z.string(),
    decisionMs: z.number(),
    greetingMs: z.number(),
    words: z.number(),
    beepAtMs: z.number().optional(),
  })
  .loose();

/** Runtime schema of an outcome, for readers that take it from Redis or the stream. */
export const attemptRecordSchema = z
  .object({
    attempt: z.number().int().min(1),
    id: z.string(),
    uri: z.string(),
    dialFormat: z.string().optional(),
    startedAt: z.number(),
    inviteSentAt: z.number().optional(),
    endedAt: z.number().optional(),
    state: z.enum(['live', 'done', 'interrupted']),
    sipCode: z.number().int().optional(),
    reason: z.string().optional(),
    phase: z.string().optional(),
    postDialDelayMs: z.number().optional(),
    setupMs: z.number().optional(),
    talkMs: z.number().optional(),
    hangupBy: z.enum(['local', 'remote', 'error']).optional(),
    endReason: z.string().optional(),
    digits: z.string().optional(),
    media: attemptMediaStatsSchema.optional(),
    amd: attemptAmdSchema.optional(),
    sit: z
      .object({ class: z.string(), code: z.string(), atMs: z.number(), early: z.boolean().optional() })
      .loose()
      .optional(),
    recording: z
      .union([
        z.object({ path: z.string(), durationMs: z.number(), channels: z.number().int() }).loose(),
        z.object({ path: z.string(), error: z.string() }).loose(),
      ])
      .optional(),
    noPerson: z.boolean().optional(),
    callId: z.string().optional(),
    callerId: z.string().optional(),
    callerIdWithheld: z.boolean().optional(),
    attestation: z
      .object({
        attest: z.enum(['A', 'B', 'C']).optional(),
        verstat: z.string().optional(),
        status: z.number(),
      })
      .loose()
      .optional(),
    worker: z.string().optional(),
    decision: z.string().optional(),
    pointsTo: z.enum(FINAL_STATUSES).optional(),
    trunkFault: z.boolean().optional(),
    errorCode: z.string().optional(),
    orphan: z
      .object({
        endedBy: z.string(),
        method: z.enum(['BYE', 'CANCEL']),
        status: z.number().int().optional(),
        at: z.number(),
        error: z.string().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export const callOutcomeSchema = z
  .object({
    jobId: z.string(),
    to: z.string(),
    trunk: z.string(),
    campaign: z.string().optional(),
    status: z.enum(FINAL_STATUSES),
    reason: z.string(),
    attempts: z.array(attemptRecordSchema),
    enqueuedAt: z.number(),
    completedAt: z.number(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    digits: z.string().optional(),
    talkMs: z.number().optional(),
    amd: attemptAmdSchema.optional(),
  })
  .loose();
