import { pino } from 'pino';
import { runCli } from './run-cli.js';

/**
 * Once the command is done, anything still holding the event loop (a socket ioredis is still
 * ending, a library's timer) must not keep the process up: a failed start or a finished drain
 * exits with its status, not when someone sends SIGKILL.
 */
const LINGER_MS = 1000;

// The process entry: everything else takes its IO from here, so it can be tested in-process.
const status = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  logDestination: pino.destination(2),
});
process.exitCode = status;
setTimeout(() => process.exit(status), LINGER_MS).unref();
