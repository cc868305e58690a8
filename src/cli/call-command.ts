import { Command } from 'commander';
import { parseDuration } from '../config/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { OutcomeTimeoutError } from '../jobs/index.js';
import { formatOutcome } from './format-outcome.js';
import { loadCliConfig } from './load-cli-config.js';

interface CallOptions {
  config?: string;
  trunk?: string;
  campaign?: string;
  callerId?: string;
  country?: string;
  key?: string;
  hangupAfter?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

/** `dialer call NUMBER`: enqueue one call; with --wait, print its final outcome. */
export function callCommand(io: CliIo): Command {
  return new Command('call')
    .description('enqueue one call (a worker places it); with --wait, block until its final outcome')
    .argument('<number>', 'the number, as a person writes it: +55 34 98414-9880, or national with --country')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('-t, --trunk <name>', 'trunk (default: the only one)')
    .option('--campaign <name>', 'campaign the call belongs to')
    .option('--caller-id <number>', 'caller ID to present')
    .option('--country <iso>', 'country of a number written without +country code (default: the trunk’s)')
    .option('--key <idempotency-key>', 'same key, same job: enqueueing twice never dials twice')
    .option('--hangup-after <duration>', 'hang up this long after the answer')
    .option('--wait', 'wait for the final outcome and print it')
    .option('--timeout <duration>', 'with --wait: give up after this long', '10m')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer call "+55 34 98414-9880" --config dialer.yaml --wait\n  dialer call 34984149880 --country BR --config dialer.yaml --json\n',
    )
    .action(async (number: string, options: CallOptions) => {
      const config = await loadCliConfig(options.config, io.env);
      const client = await clientFromConfig(config);
      try {
        const call = await client.enqueueCall({
          number,
          ...(options.trunk !== undefined ? { trunk: options.trunk } : {}),
          ...(options.campaign !== undefined ? { campaign: options.campaign } : {}),
          ...(options.callerId !== undefined ? { callerId: options.callerId } : {}),
          ...(options.country !== undefined ? { defaultCountry: options.country.toUpperCase() } : {}),
          ...(options.key !== undefined ? { idempotencyKey: options.key } : {}),
          ...(options.hangupAfter !== undefined
            ? { script: { hangupAfterMs: parseDuration(options.hangupAfter, '--hangup-after') } }
            : {}),
        });
        if (!options.wait) {
          io.out(
            options.json
              ? JSON.stringify(call)
              : `enqueued ${call.number} on ${call.trunk} as job ${call.jobId}${call.duplicate ? ' (already queued)' : ''}`,
          );
          return;
        }
        if (!options.json) io.err(`enqueued ${call.number} as job ${call.jobId}; waiting for the outcome…`);
        const outcome = await client
          .waitForOutcome(call.jobId, { timeoutMs: parseDuration(options.timeout, '--timeout') })
          .catch((error: unknown) => {
            // The call goes on without us: say how to find out how it ended.
            if (error instanceof OutcomeTimeoutError)
              io.err(`job ${call.jobId} is still going; look it up later with: dialer outcome ${call.jobId}`);
            throw error;
          });
        io.out(options.json ? JSON.stringify(outcome, null, 2) : formatOutcome(outcome));
      } finally {
        await client.close();
      }
    });
}
