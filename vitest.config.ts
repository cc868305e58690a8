import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Folders whose files talk only to Redis, HTTP on loopback or in-process code: they run two at a
 * time. Each file takes free ports and its own queue prefix, so two cannot meet, and most of their
 * time is spent waiting on sockets, which the other file can use.
 */
const PARALLEL_DIRS = [
  'test/unit',
  ...['api', 'callbacks', 'compliance', 'edge', 'harness', 'jobs', 'log', 'media', 'metrics'].map(
    (name) => `test/integration/${name}`,
  ),
];

/**
 * Every other folder, found on disk so a new one is never left out: SIP retransmission timers,
 * worker processes, CLI processes and the chaos run keep their timing on 2 cores one file at a time.
 */
function serialPatterns(): string[] {
  const subdirs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}`);
  const dirs = [...subdirs('test'), ...subdirs('test/integration')].filter(
    (dir) => dir !== 'test/integration' && !PARALLEL_DIRS.includes(dir),
  );
  return ['test/*.test.ts', 'test/integration/*.test.ts', ...dirs.map((dir) => `${dir}/**/*.test.ts`)];
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: PARALLEL_DIRS.map((dir) => `${dir}/**/*.test.ts`),
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: serialPatterns(),
          fileParallelism: false,
          // After the parallel group, so nothing else competes for the CPU while timers run.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
