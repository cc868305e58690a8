import type { DialerConfig, TrunkConfig } from '../../config/index.js';
import type { Logger } from '../../log/index.js';
import { createSipEngine } from '../../sip/index.js';
import { SipFailure } from '../../sip/index.js';
import { ProbeTrace, type ProbeTraceLine } from './probe-trace.js';

export interface ProbeRegisterReport {
  readonly trunk: string;
  readonly registered: boolean;
  readonly status: number;
  readonly reason: string;
  readonly grantedExpiresSec?: number;
  readonly challenge?: string;
  /** ms from the first REGISTER to the final answer (challenges included). */
  readonly registerMs: number;
  readonly unregistered: boolean;
  readonly responses: ReadonlyArray<{ atMs: number; line: string }>;
  readonly trace: readonly ProbeTraceLine[];
}

/** Registers once, reports what the registrar said, unregisters. */
export async function runProbeRegister(input: {
  config: DialerConfig;
  trunk: TrunkConfig;
  logger: Logger;
  listen?: { host: string; port: number };
}): Promise<ProbeRegisterReport> {
  const trace = new ProbeTrace();
  const engine = createSipEngine(input.config, {
    logger: input.logger,
    trace: trace.sink,
    ...(input.listen ? { listen: input.listen } : {}),
  });
  const started = performance.now();
  try {
    await engine.start();
    try {
      const registration = await engine.register(input.trunk);
      const registerMs = Math.round(performance.now() - started);
      const status = registration.status;
      await registration.unregister();
      return {
        trunk: input.trunk.name,
        registered: true,
        status: 200,
        reason: 'OK',
        ...(status.grantedExpiresSec !== undefined ? { grantedExpiresSec: status.grantedExpiresSec } : {}),
        ...(status.challenge !== undefined ? { challenge: status.challenge } : {}),
        registerMs,
        unregistered: true,
        responses: responsesOf(trace.lines),
        trace: trace.lines,
      };
    } catch (error) {
      if (!(error instanceof SipFailure)) throw error;
      return {
        trunk: input.trunk.name,
        registered: false,
        status: error.status,
        reason: `${error.reason}${error.local ? ' (no answer: local)' : ''}${error.unsupportedAlgorithm ? ` (unsupported digest algorithm ${error.unsupportedAlgorithm})` : ''}`,
        ...(error.headers['www-authenticate'] ? { challenge: error.headers['www-authenticate'] } : {}),
        registerMs: Math.round(performance.now() - started),
        unregistered: false,
        responses: responsesOf(trace.lines),
        trace: trace.lines,
      };
    }
  } finally {
    await engine.close();
  }
}

export function responsesOf(lines: readonly ProbeTraceLine[]): Array<{ atMs: number; line: string }> {
  return lines.map((l) => ({ atMs: l.atMs, line: `${l.direction === 'sent' ? '->' : '<-'} ${l.firstLine}` }));
}
