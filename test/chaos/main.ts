/**
 * npm run chaos [-- --numbers 10000 --outage 10s --drop 0.05 --kill-redis]
 * Exits 1 when an invariant broke (lost or doubled job, overlapping dial, …).
 */
import { parseArgs } from 'node:util';
import { chaosViolations, formatChaosReport } from './format-chaos-report.js';
import { runChaos } from './run-chaos.js';

const { values } = parseArgs({
  options: {
    numbers: { type: 'string', default: '10000' },
    outage: { type: 'string', default: '10' },
    drop: { type: 'string', default: '0.05' },
    cps: { type: 'string' },
    channels: { type: 'string' },
    'kill-redis': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    deadline: { type: 'string', default: '3600' },
  },
});

const report = await runChaos({
  numbers: Number(values.numbers),
  carrierOutageMs: Number(values.outage) * 1000,
  dropRate: Number(values.drop),
  ...(values.cps !== undefined ? { cps: Number(values.cps) } : {}),
  ...(values.channels !== undefined ? { maxChannels: Number(values.channels) } : {}),
  killRedis: values['kill-redis'],
  seed: Number(values.seed),
  deadlineMs: Number(values.deadline) * 1000,
  log: (line) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
});
process.stdout.write(`${formatChaosReport(report)}\n`);
const violations = chaosViolations(report);
process.stdout.write(violations.length ? `FAILED: ${violations.join('; ')}\n` : 'all invariants held\n');
process.exit(violations.length ? 1 : 0);
