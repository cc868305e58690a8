import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { DialerError } from '../kernel/index.js';
import { censorText } from '../log/index.js';
import type { CliIo } from './cli-io.js';
import { callCommand } from './call-command.js';
import { campaignCommand } from './campaign-command.js';
import { dncCommand } from './dnc-command.js';
import { probeCommand } from './probe/probe-command.js';
import { serveCommand } from './serve-command.js';
import { workerCommand } from './worker-command.js';
import { UsageError } from './usage-error.js';

/** Codes of errors that mean "your input was refused": exit 2, like bad usage. */
const INPUT_ERRORS = new Set([
  'NUMBER_INVALID',
  'JOB_INVALID',
  'CAMPAIGN_INVALID',
  'COMPLIANCE_INPUT_INVALID',
  'CAMPAIGN_NOT_FOUND',
  'CAMPAIGN_CONFLICT',
  'CAMPAIGN_STATE_INVALID',
  'REQUEST_URI_INVALID',
  'RETRY_POLICY_INVALID',
  'CALLING_WINDOW_INVALID',
  'DIAL_FORMAT_INVALID',
  'JOB_ID_INVALID',
]);

/** Exit statuses, documented in the README. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });

/** Runs the `dialer` command line; resolves with the exit status instead of exiting. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('dialer')
    .description(
      'outbound SIP dialer: queue calls in Redis, place them through a SIP trunk, classify every outcome',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError();
  program.addCommand(workerCommand(io));
  program.addCommand(callCommand(io));
  program.addCommand(campaignCommand(io));
  program.addCommand(dncCommand(io));
  program.addCommand(probeCommand(io));
  program.addCommand(serveCommand(io));
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error instanceof DialerError && INPUT_ERRORS.has(error.code))
    ) {
      io.err(`dialer: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof DialerError) {
      io.err(`dialer: ${error.message} [${error.code}]`);
      return EXIT.failure;
    }
    // An ioredis or BullMQ error may quote a Redis URL, password and all.
    io.err(
      `dialer: unexpected error: ${censorText(error instanceof Error ? (error.stack ?? error.message) : String(error))}`,
    );
    return EXIT.failure;
  }
}
