import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../../src/cli/index.js';

function capture(): { io: Parameters<typeof runCli>[1]; text: () => string } {
  let text = '';
  const write = (line: string): void => {
    text += `${line}\n`;
  };
  return { io: { env: {}, out: write, err: write }, text: () => text };
}

/** Every command path of the tree, `help` left out: `[['worker'], ['campaign'], ['campaign', 'create'], …]`. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands
    .filter((sub) => sub.name() !== 'help')
    .flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

const paths = commandPaths(buildProgram(capture().io));

describe('dialer --help', () => {
  it('knows every command', () => {
    expect(paths.length).toBeGreaterThan(15);
  });

  it.each(paths.map((path) => [path.join(' '), path] as const))(
    '`dialer %s --help` shows an example that runs that command',
    async (_name, path) => {
      const { io, text } = capture();
      expect(await runCli([...path, '--help'], io)).toBe(0);
      const example = text().split(/\nExamples?:\n/)[1];
      expect(example, text()).toBeDefined();
      expect(example).toContain(`dialer ${path.join(' ')}`);
    },
  );

  it('prints the package version with --version and -V', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { io, text } = capture();
      expect(await runCli([flag], io)).toBe(0);
      expect(text().trim()).toBe(version);
    }
  });
});
