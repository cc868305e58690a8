import { Command } from 'commander';
import { loadConfig, type SecretUse } from '../../config/index.js';
import { parseDuration } from '../../config/index.js';
import { createLogger } from '../../log/index.js';
import type { CliIo } from '../cli-io.js';
import { parseListen } from '../parse-listen.js';
import { formatCallReport, formatRegisterReport } from './format-probe-report.js';
import { selectTrunk } from './select-trunk.js';
import { maskCredentials } from './mask-credentials.js';

/** A probe registers and calls as a worker does, so it needs the trunk's and the engine's secrets. */
const PROBE_SECRETS: readonly SecretUse[] = ['trunks', 'engine'];

interface CommonOptions {
  config?: string;
  trunk?: string;
  json?: boolean;
  trace?: boolean;
  listen?: string;
}

/** `dialer probe register|call`: check a trunk by hand, the way a softphone would. */
export function probeCommand(io: CliIo): Command {
  const probe = new Command('probe')
    .description('check a trunk by hand: register, or place one call, and show what the carrier said')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer probe register --config dialer.yaml --trace\n  dialer probe call +5534984149880 --config dialer.yaml --hangup-after 5s\n',
    );

  probe
    .command('register')
    .description('register with the trunk once, print the outcome, unregister')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('-t, --trunk <name>', 'trunk to use (default: the first)')
    .option('--listen <host:port>', 'local SIP address (default: sip.listen from the config)')
    .option('--json', 'print the report as JSON')
    .option('--trace', 'print every SIP message sent and received, credentials masked')
    .addHelpText(
      'after',
      '\nExample:\n  dialer probe register --config dialer.yaml --trunk carrier --trace\n',
    )
    .action(async (options: CommonOptions) => {
      const config = await loadConfig({
        ...(options.config !== undefined ? { path: options.config } : {}),
        env: io.env,
        secrets: PROBE_SECRETS,
      });
      const trunk = selectTrunk(config, options.trunk);
      // The SIP engine and media load only when a probe runs (see worker-command).
      const { runProbeRegister } = await import('./run-probe-register.js');
      const report = await runProbeRegister({
        config,
        trunk,
        logger: createLogger({ level: io.env['LOG_LEVEL'] ?? 'warn', destination: io.logDestination }),
        ...(options.listen !== undefined ? { listen: parseListen(options.listen) } : {}),
      });
      io.out(
        options.json
          ? jsonReport(report, options.trace)
          : formatRegisterReport(report, options.trace ?? false),
      );
    });

  probe
    .command('call')
    .description('place one call to sip:<NUMBER as given>@<trunk domain>, no queue, and report each response')
    .argument('<number>', 'the user part of the Request-URI, exactly as the carrier should see it')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('-t, --trunk <name>', 'trunk to use (default: the first)')
    .option('--hangup-after <duration>', 'hang up this long after the answer', '2s')
    .option(
      '--ring-timeout <duration>',
      'CANCEL when not answered within this (default: defaults.ringTimeout)',
    )
    .option('--listen <host:port>', 'local SIP address (default: sip.listen from the config)')
    .option('--json', 'print the report as JSON')
    .option('--trace', 'print every SIP message sent and received, credentials masked')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer probe call 5534984149880 --config dialer.yaml --hangup-after 5s\n  dialer probe call +5534984149880 --config dialer.yaml --trace   # compare with the one above\n',
    )
    .action(
      async (number: string, options: CommonOptions & { hangupAfter: string; ringTimeout?: string }) => {
        const config = await loadConfig({
          ...(options.config !== undefined ? { path: options.config } : {}),
          env: io.env,
          secrets: PROBE_SECRETS,
        });
        const trunk = selectTrunk(config, options.trunk);
        const { runProbeCall } = await import('./run-probe-call.js');
        const report = await runProbeCall({
          config,
          trunk,
          number,
          hangupAfterMs: parseDuration(options.hangupAfter, '--hangup-after'),
          ringTimeoutMs:
            options.ringTimeout !== undefined
              ? parseDuration(options.ringTimeout, '--ring-timeout')
              : config.defaults.ringTimeoutMs,
          logger: createLogger({ level: io.env['LOG_LEVEL'] ?? 'warn', destination: io.logDestination }),
          ...(options.listen !== undefined ? { listen: parseListen(options.listen) } : {}),
        });
        io.out(
          options.json ? jsonReport(report, options.trace) : formatCallReport(report, options.trace ?? false),
        );
      },
    );

  return probe;
}

function jsonReport(
  report: { trace: ReadonlyArray<{ raw: string }> },
  withTrace: boolean | undefined,
): string {
  const { trace, ...rest } = report;
  const out = withTrace
    ? { ...rest, trace: trace.map((t) => ({ ...t, raw: maskCredentials(t.raw) })) }
    : rest;
  return JSON.stringify(out, null, 2);
}
