import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';

describe('createLogger', () => {
  it('stamps each line with an ISO 8601 UTC time people can read next to a SIP trace', () => {
    const lines: string[] = [];
    createLogger({ destination: { write: (s: string) => void lines.push(s) } }).info('hi');
    const { time } = JSON.parse(lines[0] ?? '{}') as { time?: unknown };
    expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(time as string) - Date.now())).toBeLessThan(24 * 3600_000);
  });
});
