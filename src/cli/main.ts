import { pino } from 'pino';
import { runCli } from './run-cli.js';

// The process entry: everything else takes its IO from here, so it can be tested in-process.
const status = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  logDestination: pino.destination(2),
});
process.exitCode = status;
