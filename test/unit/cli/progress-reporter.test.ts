import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../../src/cli/progress-reporter.js';

describe('ProgressReporter', () => {
  it('on a terminal, cuts the line to one less than its width, so a redraw never wraps', () => {
    const written: string[] = [];
    const progress = new ProgressReporter((t) => written.push(t), true, 1000, 40);
    const long = `[${'#'.repeat(24)}] 100% 300/300  12.3 INVITEs/s  answered 120, busy 30, no-answer 20`;
    progress.done(long);
    const line = (written[0] ?? '').replace('\r', '');
    expect(line.length).toBe(39);
    expect(line.endsWith('…')).toBe(true);
    expect(long.startsWith(line.slice(0, -1))).toBe(true);
  });

  it('leaves a line that fits, and every line when not on a terminal, whole', () => {
    const tty: string[] = [];
    new ProgressReporter((t) => tty.push(t), true, 1000, 120).done('short line');
    expect(tty[0]).toBe('\rshort line');
    const piped: string[] = [];
    const long = 'x'.repeat(300);
    new ProgressReporter((t) => piped.push(t), false, 1000, 40).done(long);
    expect(piped[0]).toBe(`${long}\n`);
  });
});
