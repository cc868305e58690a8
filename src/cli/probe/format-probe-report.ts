import { maskCredentials } from './mask-credentials.js';
import type { ProbeTraceLine } from './probe-trace.js';
import type { ProbeCallReport } from './run-probe-call.js';
import type { ProbeRegisterReport } from './run-probe-register.js';

function timeline(responses: ReadonlyArray<{ atMs: number; line: string }>): string[] {
  return responses.map((r) => `  ${`+${r.atMs}ms`.padStart(9)}  ${r.line}`);
}

export function formatTrace(lines: readonly ProbeTraceLine[]): string {
  return lines
    .map(
      (l) =>
        `----- +${l.atMs}ms ${l.direction === 'sent' ? 'sent to' : 'received from'} ${l.remote}\n${maskCredentials(l.raw).trimEnd()}\n`,
    )
    .join('\n');
}

export function formatRegisterReport(report: ProbeRegisterReport, withTrace: boolean): string {
  const out = [`trunk ${report.trunk}: REGISTER`, ...timeline(report.responses), ''];
  out.push(
    report.registered
      ? `registered: yes, granted expiry ${report.grantedExpiresSec}s`
      : `registered: no, ${report.status} ${report.reason}`,
  );
  if (report.challenge) out.push(`challenge: ${report.challenge}`);
  out.push(`register time: ${report.registerMs} ms`);
  if (report.registered) out.push(`unregistered: ${report.unregistered ? 'yes' : 'no'}`);
  if (withTrace) out.push('', formatTrace(report.trace));
  return out.join('\n');
}

export function formatCallReport(report: ProbeCallReport, withTrace: boolean): string {
  const out = [`trunk ${report.trunk}: INVITE ${report.uri}`, ...timeline(report.responses), ''];
  if (report.registered !== undefined)
    out.push(
      report.registered.ok
        ? `registered first: yes${report.registered.grantedExpiresSec !== undefined ? `, granted expiry ${report.registered.grantedExpiresSec}s` : ''}`
        : 'registered first: no (the REGISTER was refused; no INVITE sent)',
    );
  out.push(`final: ${report.status} ${report.reason}${report.phase ? ` [${report.phase}]` : ''}`);
  if (report.retryAfterMs !== undefined) out.push(`retry-after: ${report.retryAfterMs / 1000}s`);
  if (report.postDialDelayMs !== undefined) out.push(`post-dial delay: ${report.postDialDelayMs} ms`);
  if (report.setupMs !== undefined)
    out.push(
      `setup time: ${report.setupMs} ms (${report.invitesSent} INVITE${report.invitesSent === 1 ? '' : 's'})`,
    );
  if (report.media) {
    out.push(
      'error' in report.media
        ? `media: unreadable answer: ${report.media.error}`
        : `media: ${report.media.codec} to ${report.media.address}:${report.media.port}${report.media.held ? ' (held)' : ''}`,
    );
  }
  if (report.ended)
    out.push(`ended: by ${report.ended.by} (${report.ended.reason}) after ${report.ended.talkMs} ms`);
  if (withTrace) out.push('', formatTrace(report.trace));
  return out.join('\n');
}
