/**
 * npm run fuzz [-- --count 1000000 --seed 4475]
 * Exits 1 on a crash (a parser throwing anything but SipParseError, the engine failing on a message
 * it parsed), a hang (an OPTIONS ping unanswered) or heap growth over 32 MB.
 */
import { parseArgs } from 'node:util';
import { runSipFuzz } from './run-sip-fuzz.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '4475' },
  },
});

const count = Number(values.count);
const report = await runSipFuzz({
  count,
  seed: Number(values.seed),
  onProgress: (done) => {
    if (done % 100_000 === 0) process.stderr.write(`[fuzz] ${done}/${count}\n`);
  },
});
const { crashes, ...figures } = report;
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
process.stdout.write(
  `heap before ${report.heapBeforeMB.toFixed(1)} MB, after ${report.heapAfterMB.toFixed(1)} MB; ${report.messages} messages in ${(report.elapsedMs / 1000).toFixed(1)} s\n`,
);
for (const crash of crashes) process.stdout.write(`CRASH ${crash}\n`);
const failed =
  crashes.length > 0 ||
  report.handlerErrors > 0 ||
  report.probesUnanswered > 0 ||
  report.callsSettled < report.calls ||
  report.heapAfterMB - report.heapBeforeMB > 32;
process.stdout.write(failed ? 'FAILED\n' : 'no crash, no hang, heap flat\n');
process.exit(failed ? 1 : 0);
