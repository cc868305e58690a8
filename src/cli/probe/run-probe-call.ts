import type { DialerConfig, TrunkConfig } from '../../config/index.js';
import type { Logger } from '../../log/index.js';
import { RtpPortPool } from '../../media/index.js';
import { buildSdpOffer, parseSdpAnswer } from '../../media/index.js';
import { createSipEngine } from '../../sip/index.js';
import type { CallEnd, Registration } from '../../sip/index.js';
import { SipFailure } from '../../sip/index.js';
import { UsageError } from '../usage-error.js';
import { ProbeTrace, type ProbeTraceLine } from './probe-trace.js';
import { responsesOf } from './run-probe-register.js';

export interface ProbeCallReport {
  readonly trunk: string;
  readonly uri: string;
  readonly answered: boolean;
  readonly status: number;
  readonly reason: string;
  readonly phase?: string;
  readonly retryAfterMs?: number;
  /** From the trace: the first INVITE sent to the first 180/183 received. */
  readonly postDialDelayMs?: number;
  /** From the trace: the first INVITE sent to the 200. */
  readonly setupMs?: number;
  /** The trunk registers (`register: true`): the REGISTER that went first, as workers do. */
  readonly registered?: { readonly ok: true; readonly grantedExpiresSec?: number } | { readonly ok: false };
  readonly invitesSent?: number;
  readonly media?: { address: string; port: number; codec: string; held: boolean } | { error: string };
  readonly ended?: CallEnd & { talkMs: number };
  readonly responses: ReadonlyArray<{ atMs: number; line: string }>;
  readonly trace: readonly ProbeTraceLine[];
}

const NUMBER = /^\+?[0-9A-Za-z*#._-]{1,64}$/;

/** Places one call straight to the carrier (no queue), as an operator would with a softphone. */
export async function runProbeCall(input: {
  config: DialerConfig;
  trunk: TrunkConfig;
  number: string;
  hangupAfterMs: number;
  ringTimeoutMs: number;
  logger: Logger;
  listen?: { host: string; port: number };
}): Promise<ProbeCallReport> {
  if (!NUMBER.test(input.number)) {
    throw new UsageError(`NUMBER "${input.number}" may hold only digits, letters, + * # . _ - (at most 64)`);
  }
  const uri = `sip:${input.number.replace(/#/g, '%23')}@${input.trunk.domain}`;
  const trace = new ProbeTrace();
  const { minPort, maxPort } = input.config.media.ports;
  // A probe next to a running worker: bind a few pairs, skipping those the worker holds.
  const ports = await RtpPortPool.open({
    address: input.config.media.address,
    minPort,
    maxPort: Math.min(maxPort, minPort + 63),
    logger: input.logger,
  });
  const engine = createSipEngine(input.config, {
    logger: input.logger,
    trace: trace.sink,
    ...(input.listen ? { listen: input.listen } : {}),
  });
  const lease = ports.lease();
  let registration: Registration | undefined;
  try {
    const sdp = buildSdpOffer({ address: lease.address, rtpPort: lease.rtpPort });
    try {
      // A carrier that wants a registration refuses (403, 404) the INVITE of a UA that has none:
      // the probe must be where a worker is when it dials.
      if (input.trunk.register) {
        await engine.start();
        registration = await engine.register(input.trunk);
      }
      const leg = await engine.invite({
        trunk: input.trunk,
        uri,
        sdp,
        ...(input.trunk.callerId !== undefined ? { callerId: input.trunk.callerId } : {}),
        headers: input.trunk.headers,
        ringTimeoutMs: input.ringTimeoutMs,
      });
      const answeredAt = Date.now();
      let media: ProbeCallReport['media'];
      try {
        const answer = parseSdpAnswer(leg.remoteSdp);
        media = { address: answer.address, port: answer.port, codec: answer.codec.name, held: answer.held };
      } catch (error) {
        media = { error: error instanceof Error ? error.message : String(error) };
      }
      const remoteEnd = new Promise<CallEnd>((resolve) => leg.on('ended', resolve));
      const end = await Promise.race([
        remoteEnd,
        delay(input.hangupAfterMs).then(() => leg.hangup('probe-done')),
      ]);
      const timings = timingsOf(trace.lines);
      return {
        trunk: input.trunk.name,
        uri,
        answered: true,
        status: 200,
        reason: 'OK',
        ...registered(registration),
        ...(timings.setupMs !== undefined ? { setupMs: timings.setupMs } : {}),
        invitesSent: leg.timings.invitesSent,
        ...(timings.postDialDelayMs !== undefined ? { postDialDelayMs: timings.postDialDelayMs } : {}),
        media,
        ended: { ...end, talkMs: end.at - answeredAt },
        responses: responsesOf(trace.lines),
        trace: trace.lines,
      };
    } catch (error) {
      if (!(error instanceof SipFailure)) throw error;
      const timings = timingsOf(trace.lines);
      const refusedRegister = input.trunk.register && registration === undefined;
      return {
        trunk: input.trunk.name,
        uri,
        answered: false,
        ...(input.trunk.register
          ? refusedRegister
            ? { registered: { ok: false as const } }
            : registered(registration)
          : {}),
        ...(timings.postDialDelayMs !== undefined ? { postDialDelayMs: timings.postDialDelayMs } : {}),
        status: error.status,
        reason: `${error.reason}${error.local ? ' (local)' : ''}${error.cancelCause ? ` (${error.cancelCause})` : ''}${error.unsupportedAlgorithm ? ` (unsupported digest algorithm ${error.unsupportedAlgorithm})` : ''}`,
        phase: error.phase,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        responses: responsesOf(trace.lines),
        trace: trace.lines,
      };
    }
  } finally {
    lease.release();
    await registration?.unregister().catch(() => undefined);
    await engine.close();
    await ports.close();
  }
}

function registered(registration: Registration | undefined): Pick<ProbeCallReport, 'registered'> {
  if (registration === undefined) return {};
  const expires = registration.status.grantedExpiresSec;
  return { registered: { ok: true, ...(expires !== undefined ? { grantedExpiresSec: expires } : {}) } };
}

/**
 * Post-dial delay and setup time read off the trace the report prints, so the figures agree
 * with its timeline by construction (the engine's own timings start when the INVITE is built,
 * a few ms before it leaves).
 */
function timingsOf(lines: readonly ProbeTraceLine[]): { postDialDelayMs?: number; setupMs?: number } {
  const invite = lines.find((l) => l.direction === 'sent' && l.firstLine.startsWith('INVITE '));
  if (invite === undefined) return {};
  const after = lines.filter((l) => l.direction === 'received' && l.atMs >= invite.atMs);
  const status = (l: ProbeTraceLine): number => Number(/^SIP\/2\.0 (\d{3})/.exec(l.firstLine)?.[1] ?? 0);
  // Responses to the INVITE only: the REGISTER's answers came before it, a BYE's after the 200.
  const ringing = after.find((l) => status(l) === 180 || status(l) === 183);
  const answer = after.find((l) => status(l) === 200 && / INVITE$/.test(cseqOf(l)));
  return {
    ...(ringing !== undefined && (answer === undefined || ringing.atMs <= answer.atMs)
      ? { postDialDelayMs: ringing.atMs - invite.atMs }
      : {}),
    ...(answer !== undefined ? { setupMs: answer.atMs - invite.atMs } : {}),
  };
}

function cseqOf(line: ProbeTraceLine): string {
  return /^CSeq:\s*(.*?)\s*$/im.exec(line.raw)?.[1] ?? '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
