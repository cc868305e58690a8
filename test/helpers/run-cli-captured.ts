import { runCli } from '../../src/cli/run-cli.js';

/** What one in-process `dialer …` run printed, line by line, and its exit status. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `dialer <args>` in this process, its stdout and stderr captured (each line ends in `\n`). */
export async function runCliCaptured(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(args, { env, out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}
