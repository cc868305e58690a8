import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { CountryCode } from 'libphonenumber-js/max';
import { DncList } from '../compliance/index.js';
import { normalizeNumber } from '../numbers/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';

interface DncOptions {
  config?: string;
  campaign?: string;
  country?: string;
  json?: boolean;
}

/** `dialer dnc add|remove|import|check`: the global and per-campaign do-not-call lists. */
export function dncCommand(io: CliIo): Command {
  const dnc = new Command('dnc')
    .description('do-not-call lists: checked when a worker takes a job; a hit ends as blocked')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer dnc add +5534984149880 --config dialer.yaml\n  dialer dnc import opt-outs.txt --campaign spring-sale --country BR --config dialer.yaml\n',
    );
  const common = (c: Command): Command =>
    c
      .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
      .option('--campaign <name>', 'the campaign’s list instead of the global one')
      .option('--country <iso>', 'country of numbers written without +country code')
      .option('--json', 'print JSON');

  async function withList<T>(options: DncOptions, work: (list: DncList) => Promise<T>): Promise<T> {
    const config = await loadCliConfig(options.config, io.env);
    const client = await clientFromConfig(config);
    try {
      return await work(new DncList({ redis: client.redis, keys: client.keys }));
    } finally {
      await client.close();
    }
  }
  const numberOptions = (o: DncOptions) =>
    o.country ? { defaultCountry: o.country.toUpperCase() as CountryCode } : {};

  common(dnc.command('add').description('add numbers').argument('<numbers...>'))
    .addHelpText('after', '\nExample:\n  dialer dnc add +5534984149880 +447400123456 --config dialer.yaml\n')
    .action(async (numbers: string[], options: DncOptions) => {
      const added = await withList(options, (list) =>
        list.add(numbers, options.campaign, numberOptions(options)),
      );
      io.out(options.json ? JSON.stringify({ added }) : `added ${added}`);
    });
  common(dnc.command('remove').description('remove numbers').argument('<numbers...>'))
    .addHelpText(
      'after',
      '\nExample:\n  dialer dnc remove +5534984149880 --campaign spring-sale --config dialer.yaml\n',
    )
    .action(async (numbers: string[], options: DncOptions) => {
      const removed = await withList(options, (list) =>
        list.remove(numbers, options.campaign, numberOptions(options)),
      );
      io.out(options.json ? JSON.stringify({ removed }) : `removed ${removed}`);
    });
  common(
    dnc
      .command('import')
      .description('add every number of a file, one per line (bad lines reported)')
      .addHelpText(
        'after',
        '\nExample:\n  dialer dnc import opt-outs.txt --country BR --config dialer.yaml\n',
      )
      .argument('<file>'),
  ).action(async (file: string, options: DncOptions) => {
    const report = await withList(options, (list) =>
      list.import(createInterface({ input: createReadStream(file), crlfDelay: Infinity }), {
        ...(options.campaign ? { campaign: options.campaign } : {}),
        ...numberOptions(options),
      }),
    );
    io.out(
      options.json ? JSON.stringify(report, null, 2) : `read ${report.lines} lines: ${report.valid} valid`,
    );
  });
  common(dnc.command('check').description('is a number on the list?').argument('<number>'))
    .addHelpText(
      'after',
      '\nExample:\n  dialer dnc check 34984149880 --country BR --json --config dialer.yaml\n',
    )
    .action(async (number: string, options: DncOptions) => {
      const e164 = normalizeNumber(number, { ...numberOptions(options), field: 'number' }).e164;
      const result = await withList(options, (list) => list.has(e164, options.campaign));
      io.out(
        options.json
          ? JSON.stringify(result)
          : result.blocked
            ? `blocked (${result.list} list)`
            : 'not listed',
      );
    });
  return dnc;
}
