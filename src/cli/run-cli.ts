import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { DIALER_VERSION, DialerError } from '../kernel/index.js';
import { censorText } from '../log/index.js';
import type { CliIo } from './cli-io.js';
import { callCommand } from './call-command.js';
import { outcomeCommand } from './outcome-command.js';
import { campaignCommand } from './campaign-command.js';
import { dncCommand } from './dnc-command.js';
import { migrateKeysCommand } from './migrate-keys-command.js';
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
  'IMPORT_REFUSED',
  'CALL_NOT_FOUND',
  'MIGRATION_REFUSED',
]);

/** Exit statuses, documented in the README. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });

/**
 * The whole command tree. Every command writes through `io` (commander does not pass a parent's
 * output settings to commands built apart and added with addCommand) and throws instead of exiting.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('dialer')
    .description(
      'outbound SIP dialer: queue calls in Redis, place them through a SIP trunk, classify every outcome',
    )
    .version(DIALER_VERSION, '-V, --version', 'print the version')
    .showHelpAfterError();
  program.addCommand(workerCommand(io));
  program.addCommand(callCommand(io));
  program.addCommand(outcomeCommand(io));
  program.addCommand(campaignCommand(io));
  program.addCommand(dncCommand(io));
  program.addCommand(migrateKeysCommand(io));
  program.addCommand(probeCommand(io));
  program.addCommand(serveCommand(io));
  const output = {
    writeOut: (s: string) => io.out(s.trimEnd()),
    writeErr: (s: string) => io.err(s.trimEnd()),
  };
  const visit = (command: Command): void => {
    command.exitOverride().configureOutput(output);
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  return program;
}

/** Runs the `dialer` command line; resolves with the exit status instead of exiting. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
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
