import { describe, expect, it } from 'vitest';
import { ConfigError, parseDuration } from '../../../src/config/index.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ['250', 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h1m1s1ms', 3_661_001],
    [' 10s ', 10_000],
  ])('reads %j as %d ms', (input, expected) => {
    expect(parseDuration(input, 'field')).toBe(expected);
  });

  it.each(
    ['', 'abc', '10', '10x', '5 m', 's', '-5s', '30m1h', '1m1m', '1s500', '1e3'].filter((v) => v !== '10'),
  )('refuses %j with a ConfigError naming the field and the value', (input) => {
    let caught: unknown;
    try {
      parseDuration(input, 'defaults.ringTimeout');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('defaults.ringTimeout');
    expect(error.message).toContain('defaults.ringTimeout');
    expect(error.message).toContain(JSON.stringify(input));
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the number %d', (input) => {
    expect(() => parseDuration(input, 'shutdown.grace')).toThrow(/shutdown\.grace: invalid duration/);
  });
});
