import type { CallOutcome } from '../jobs/index.js';

/** A human summary of an outcome: status, then one line per attempt. */
export function formatOutcome(outcome: CallOutcome): string {
  const lines = [`${outcome.to}: ${outcome.status} (${outcome.reason})`];
  for (const a of outcome.attempts) {
    const timing = [
      a.postDialDelayMs !== undefined ? `pdd ${a.postDialDelayMs} ms` : undefined,
      a.setupMs !== undefined ? `setup ${a.setupMs} ms` : undefined,
      a.talkMs !== undefined ? `talk ${a.talkMs} ms` : undefined,
    ].filter(Boolean);
    lines.push(
      `  attempt ${a.attempt}: ${a.uri} -> ${a.sipCode ?? a.state} ${a.reason ?? ''}${timing.length ? ` [${timing.join(', ')}]` : ''}`,
    );
  }
  return lines.join('\n');
}
