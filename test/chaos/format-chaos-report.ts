import type { ChaosReport } from './run-chaos.js';

const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The figures of a chaos run, as text lines. */
export function formatChaosReport(r: ChaosReport): string {
  const out: string[] = [];
  out.push(
    `jobs: ${r.jobs} (${r.campaigns.map((c) => `${c.name} ${c.jobs}, max ${c.maxAttempts} attempts`).join('; ')})`,
  );
  out.push(
    `outcomes per status: ${Object.entries(r.byStatus)
      .sort()
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}`,
  );
  out.push(
    `lost jobs: ${r.lostJobs.length} (must be 0)${r.lostJobs.length ? `: ${r.lostJobs.slice(0, 5).join(', ')}` : ''}`,
  );
  for (const e of r.lostJobStates) out.push(`  ${e}`);
  out.push(
    `doubled outcomes: ${r.doubledJobs.length} (must be 0)${r.doubledJobs.length ? `: ${r.doubledJobs.slice(0, 5).join(', ')}` : ''}`,
  );
  out.push(`overlapping dials: ${r.overlappingDials} (must be 0)`);
  for (const e of r.overlapExamples) out.push(`  ${e}`);
  for (const e of r.overlapDetails) out.push(`    ${e}`);
  out.push(
    `orphaned answered calls of the killed worker: ${r.orphans.atKill}, ended by another worker's BYE on the carrier's trace: ${r.orphans.endedByBye}${r.orphans.lastByeAfterMs !== undefined ? `, the last ${seconds(r.orphans.lastByeAfterMs)} after the kill` : ''} (all must be ended)`,
  );
  out.push(`jobs over max attempts (outcomes): ${r.overAttemptedJobs.length} (must be 0)`);
  for (const e of r.overAttemptedJobs.slice(0, 5)) out.push(`  ${e}`);
  out.push(`numbers over max attempts (carrier record): ${r.overDialedNumbers.length} (must be 0)`);
  for (const e of r.overDialedNumbers.slice(0, 5)) out.push(`  ${e}`);
  out.push(`campaign counters ≠ outcomes: ${r.counterMismatches.length} (must be 0)`);
  for (const e of r.counterMismatches.slice(0, 5)) out.push(`  ${e}`);
  out.push(`workers crashed (not killed by the run): ${r.crashedWorkers.length} (must be 0)`);
  for (const e of r.crashedWorkers) out.push(`  ${e}`);
  out.push(
    `secrets (${r.secretsChecked.join(', ')}) in ${r.logLines} log lines: ${r.secretHits} (must be 0)${r.secretsFound.length ? `: ${r.secretsFound.join(', ')}` : ''}`,
  );
  out.push(
    `worker refused by Redis (stale password): exit ${r.refusedLogin.code}, ${r.refusedLogin.reported ? 'said WRONGPASS' : 'did not say WRONGPASS'} (must exit 1 and say it)`,
  );
  out.push(
    `INVITE dialogs at the carrier: ${r.carrierInvites}; attempts in outcomes: ${r.dialerAttempts} (${r.interruptedAttempts} interrupted)`,
  );
  out.push(
    `calls/s at the carrier: ${r.callsPerSecond.toFixed(1)}; run ${seconds(r.durationMs)}; relay forwarded ${r.relay.forwarded} datagrams, dropped ${r.relay.dropped}`,
  );
  for (const f of r.faults) {
    const extra =
      f.interruptedJobs !== undefined
        ? `; ${f.interruptedJobs} jobs interrupted on it, all final ${seconds(f.interruptedSettledMs)} after the kill`
        : '';
    out.push(
      `fault: ${f.name} at ${new Date(f.at).toISOString().slice(11, 23)}: cleared after ${seconds(f.clearedAt - f.at)}, outcomes back to half rate ${seconds(f.recoveryMs)} later${extra}`,
    );
  }
  return out.join('\n');
}

/** The invariants that must hold; empty when the run passed. */
export function chaosViolations(r: ChaosReport): string[] {
  const v: string[] = [];
  if (r.lostJobs.length) v.push(`${r.lostJobs.length} lost jobs`);
  if (r.doubledJobs.length) v.push(`${r.doubledJobs.length} doubled outcomes`);
  if (r.overlappingDials) v.push(`${r.overlappingDials} overlapping dials`);
  if (r.overAttemptedJobs.length) v.push(`${r.overAttemptedJobs.length} jobs over max attempts`);
  if (r.overDialedNumbers.length) v.push(`${r.overDialedNumbers.length} numbers dialed over max attempts`);
  if (r.counterMismatches.length) v.push(`${r.counterMismatches.length} campaign counter mismatches`);
  if (r.crashedWorkers.length) v.push(`${r.crashedWorkers.length} workers crashed`);
  if (r.secretHits) v.push(`${r.secretHits} log lines with a secret (${r.secretsFound.join(', ')})`);
  if (r.refusedLogin.code !== 1 || !r.refusedLogin.reported)
    v.push(
      `the worker refused by Redis exited ${r.refusedLogin.code}, WRONGPASS reported: ${r.refusedLogin.reported}`,
    );
  if (r.orphans.atKill === 0) v.push('the kill with answered calls up found none');
  if (r.orphans.endedByBye < r.orphans.atKill)
    v.push(`${r.orphans.atKill - r.orphans.endedByBye} orphaned calls not ended by another worker`);
  return v;
}
