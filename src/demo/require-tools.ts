import { spawn, spawnSync } from 'node:child_process';
import { DemoSetupError } from './demo-setup-error.js';

/** A command the demo needs and the Debian package that provides it. */
export interface Tool {
  readonly command: string;
  readonly versionArgs: readonly string[];
  readonly debianPackage: string;
}

export const SIPP: Tool = { command: 'sipp', versionArgs: ['-v'], debianPackage: 'sip-tester' };
export const REDIS_SERVER: Tool = {
  command: 'redis-server',
  versionArgs: ['--version'],
  debianPackage: 'redis-server',
};

/** Whether `command` can be run (it is on PATH). */
export function hasCommand(command: string, args: readonly string[] = ['--version']): boolean {
  const result = spawnSync(command, [...args], { stdio: 'ignore', timeout: 10_000 });
  return !(result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT');
}

/** What requireTools asks of the machine; tests pass their own. */
export interface ToolSystem {
  has(command: string, args: readonly string[]): boolean;
  isRoot(): boolean;
  run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void>;
}

export const realToolSystem: ToolSystem = {
  has: hasCommand,
  isRoot: () => process.getuid?.() === 0,
  run,
};

/**
 * Makes sure every tool is installed: missing ones are installed with apt-get when this process
 * is root on a Debian-like system (saying so on `say`); otherwise throws DemoSetupError with the
 * exact command to run.
 */
export async function requireTools(
  tools: readonly Tool[],
  say: (line: string) => void,
  system: ToolSystem = realToolSystem,
): Promise<void> {
  const missing = tools.filter((t) => !system.has(t.command, t.versionArgs));
  if (missing.length === 0) return;
  const packages = missing.map((t) => t.debianPackage);
  const names = missing.map((t) => t.command).join(' and ');
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (!system.has('apt-get', ['--version'])) {
    throw new DemoSetupError(
      `${names} ${missing.length > 1 ? 'are' : 'is'} not installed and this system has no apt-get; install ${packages.join(', ')} (Debian names) with its package manager`,
      `sudo ${command}`,
    );
  }
  if (!system.isRoot()) {
    throw new DemoSetupError(
      `${names} ${missing.length > 1 ? 'are' : 'is'} not installed`,
      `sudo ${command}`,
    );
  }
  say(`${names} not installed: installing ${packages.join(' ')} with apt-get (running as root)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await system.run('apt-get', ['update'], env);
  await system.run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], env);
  const still = missing.filter((t) => !system.has(t.command, t.versionArgs));
  if (still.length > 0) {
    throw new DemoSetupError(
      `apt-get ran but ${still.map((t) => t.command).join(', ')} is still missing`,
      command,
    );
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // apt's progress goes to stderr with the demo's other messages; stdout stays for the result.
    const child = spawn(command, args, { env, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new DemoSetupError(
              `${command} ${args.join(' ')} failed (exit ${code})`,
              `${command} ${args.join(' ')}`,
            ),
          ),
    );
  });
}
