import { Command } from 'commander';
import type { CountryCode } from 'libphonenumber-js/max';
import { jobIdFor, readCallState, type CallState } from '../jobs/index.js';
import { normalizeNumber } from '../numbers/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { formatOutcome } from './format-outcome.js';
import { loadCliConfig } from './load-cli-config.js';
import { UsageError } from './usage-error.js';

interface OutcomeOptions {
  config?: string;
  campaign?: string;
  country?: string;
  json?: boolean;
}

/** What `GET /v1/calls/:id` accepts as a job id. */
const JOB_ID = /^[A-Za-z0-9._~+-]{1,200}$/;

/** `dialer outcome JOBID`, or `dialer outcome NUMBER --campaign NAME`: look a call up afterwards. */
export function outcomeCommand(io: CliIo): Command {
  return new Command('outcome')
    .description('a call’s final outcome, or where it is in the queue with its attempts so far')
    .argument(
      '<job-id-or-number>',
      'the job id `dialer call` printed; with --campaign, a number of that campaign',
    )
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('--campaign <name>', 'look the number up in this campaign')
    .option(
      '--country <iso>',
      'with --campaign: country of a number written without +country code (default: the first trunk’s)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer outcome 6f1c0a52-2f4e-4bd7-a5a3-0a9d6c1e7b21 --config dialer.yaml\n  dialer outcome "(34) 98414-9880" --campaign spring-sale --country BR --config dialer.yaml --json\n',
    )
    .action(async (arg: string, options: OutcomeOptions) => {
      const config = await loadCliConfig(options.config, io.env);
      const jobId = jobIdOf(arg, options, config.trunks[0]?.defaultCountry);
      const client = await clientFromConfig(config);
      try {
        const state = await readCallState(
          client,
          config.trunks.map((t) => t.name),
          jobId,
        );
        if (options.json) io.out(JSON.stringify(state, null, 2));
        else io.out(state.outcome !== undefined ? formatOutcome(state.outcome) : formatPending(state));
      } finally {
        await client.close();
      }
    });
}

function jobIdOf(arg: string, options: OutcomeOptions, trunkCountry: CountryCode | undefined): string {
  if (options.campaign !== undefined) {
    const country = (options.country?.toUpperCase() as CountryCode | undefined) ?? trunkCountry;
    const number = normalizeNumber(arg, {
      field: 'number',
      ...(country !== undefined && { defaultCountry: country }),
    });
    return jobIdFor({ campaign: options.campaign, e164: number.e164 });
  }
  if (!JOB_ID.test(arg)) {
    throw new UsageError(
      `job id ${JSON.stringify(arg.slice(0, 80))}: expected letters, digits and . _ ~ + - (a number needs --campaign)`,
    );
  }
  return arg;
}

function formatPending(state: CallState): string {
  const attempts = state.attempts ?? [];
  const lines = [
    `${state.number ?? state.jobId}: pending (${state.state} on ${state.trunk ?? '?'}), ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} so far`,
  ];
  for (const a of attempts) {
    lines.push(`  attempt ${a.attempt}: ${a.uri} -> ${a.sipCode ?? a.state} ${a.reason ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}
