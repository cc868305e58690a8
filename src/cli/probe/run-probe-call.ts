import type { DialerConfig, TrunkConfig } from '../../config/index.js';
import type { Logger } from '../../log/index.js';
import { RtpPortPool } from '../../media/index.js';
import { buildSdpOffer, parseSdpAnswer } from '../../media/index.js';
import { createSipEngine } from '../../sip/index.js';
import type { CallEnd } from '../../sip/index.js';
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
  readonly postDialDelayMs?: number;
  readonly setupMs?: number;
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
  try {
    const sdp = buildSdpOffer({ address: lease.address, rtpPort: lease.rtpPort });
    try {
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
      return {
        trunk: input.trunk.name,
        uri,
        answered: true,
        status: 200,
        reason: 'OK',
        setupMs: leg.timings.setupMs,
        invitesSent: leg.timings.invitesSent,
        ...(leg.timings.postDialDelayMs !== undefined
          ? { postDialDelayMs: leg.timings.postDialDelayMs }
          : {}),
        media,
        ended: { ...end, talkMs: end.at - answeredAt },
        responses: responsesOf(trace.lines),
        trace: trace.lines,
      };
    } catch (error) {
      if (!(error instanceof SipFailure)) throw error;
      return {
        trunk: input.trunk.name,
        uri,
        answered: false,
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
    await engine.close();
    await ports.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
