import { describe, expect, it } from 'vitest';
import { chaosViolations, formatChaosReport } from './format-chaos-report.js';
import { runChaos } from './run-chaos.js';

// The small run of `npm run chaos` (10 000 numbers): same set-up, same faults, same checks.
// CHAOS_NUMBERS scales it (e.g. 300 on a slow machine).
const NUMBERS = Number(process.env['CHAOS_NUMBERS'] ?? 1000);

describe('chaos: worker kills, a Redis restart, a carrier outage and 5 % packet loss', () => {
  it(
    `${NUMBERS} numbers over three campaigns: nothing lost, nothing doubled, nobody rung twice at once`,
    { timeout: 600_000 },
    async () => {
      const report = await runChaos({ numbers: NUMBERS, deadlineMs: 480_000 });
      // The figures are the point of the run: print them whatever happens.
      process.stdout.write(`\n${formatChaosReport(report)}\n`);
      expect(chaosViolations(report)).toEqual([]);
      expect(report.lostJobs).toEqual([]);
      expect(report.doubledJobs).toEqual([]);
      expect(report.overlappingDials).toBe(0);
      expect(report.faults.map((f) => f.name.split(' (')[0])).toEqual([
        'SIGKILL worker 1',
        'Redis restart',
        'SIGKILL worker 2',
        'carrier down 10 s',
      ]);
      // The faults hit live traffic: a killed worker had calls up, and the relay did drop datagrams.
      expect(report.interruptedAttempts).toBeGreaterThan(0);
      expect(report.relay.dropped).toBeGreaterThan(0);
      expect(report.carrierInvites).toBeGreaterThan(report.jobs * 0.8);
    },
  );
});
