import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

const SECRET = 'cb-secret-0123456789-abcdef';
const minimal = (extra: string) => `trunks:\n  - name: carrier\n    domain: carrier.test\n${extra}`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('metrics and callbacks config sections', () => {
  it('leaves both out when the file does not mention them', () => {
    const config = parseConfig(minimal(''), {});
    expect('metrics' in config).toBe(false);
    expect('callbacks' in config).toBe(false);
  });

  it('reads metrics.listen as host and port; an empty section builds the registry only', () => {
    expect(parseConfig(minimal('metrics: { listen: 127.0.0.1:9464 }\n'), {}).metrics).toStrictEqual({
      listen: { host: '127.0.0.1', port: 9464 },
    });
    expect(parseConfig(minimal('metrics: {}\n'), {}).metrics).toStrictEqual({});
  });

  it('names a bad metrics listen address', () => {
    const error = configError(() => parseConfig(minimal('metrics: { listen: nowhere }\n'), {}));
    expect(error.issues.map((i) => i.path)).toStrictEqual(['metrics.listen']);
  });

  it('reads callbacks with the secret from the environment and defaults for the rest', () => {
    const config = parseConfig(minimal('callbacks: { secret: "${CALLBACK_SECRET}" }\n'), {
      CALLBACK_SECRET: SECRET,
    });
    expect(config.callbacks).toStrictEqual({
      secret: SECRET,
      timeoutMs: 5000,
      maxAttempts: 8,
      backoffMs: 1000,
      concurrency: 20,
      perHostConcurrency: 5,
      allowPrivate: [],
    });
    const tuned = parseConfig(
      minimal(
        `callbacks: { secret: "${SECRET}", timeout: 2s, maxAttempts: 3, backoff: 250ms, concurrency: 4 }\n`,
      ),
      {},
    );
    expect(tuned.callbacks).toMatchObject({
      timeoutMs: 2000,
      maxAttempts: 3,
      backoffMs: 250,
      concurrency: 4,
      perHostConcurrency: 1,
      allowPrivate: [],
    });
  });

  it('reads callbacks.perHostConcurrency and refuses one above concurrency, naming both', () => {
    const secret = `secret: "${SECRET}"`;
    const config = parseConfig(
      minimal(`callbacks: { ${secret}, concurrency: 8, perHostConcurrency: 3 }\n`),
      {},
    );
    expect(config.callbacks?.perHostConcurrency).toBe(3);
    let message = '';
    try {
      parseConfig(minimal(`callbacks: { ${secret}, concurrency: 8, perHostConcurrency: 9 }\n`), {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('callbacks.perHostConcurrency');
    expect(message).toContain('callbacks.concurrency (8)');
  });

  it('reads callbacks.allowPrivate (networks, addresses, host names) and names a bad entry', () => {
    const secret = `secret: "${SECRET}"`;
    const config = parseConfig(
      minimal(
        `callbacks: { ${secret}, allowPrivate: [127.0.0.1/32, "fd00::/8", 10.1.2.3, Hooks.Internal] }\n`,
      ),
      {},
    );
    expect(config.callbacks?.allowPrivate).toEqual([
      '127.0.0.1/32',
      'fd00::/8',
      '10.1.2.3',
      'hooks.internal',
    ]);
    for (const bad of ['10.0.0.0/33', '10.0.0.256', 'not a host', '::1/200']) {
      const error = configError(() =>
        parseConfig(minimal(`callbacks: { ${secret}, allowPrivate: [127.0.0.1, "${bad}"] }\n`), {}),
      );
      expect(
        error.issues.map((i) => i.path),
        bad,
      ).toStrictEqual(['callbacks.allowPrivate[1]']);
    }
  });

  it('refuses a missing or short secret without showing it', () => {
    expect(configError(() => parseConfig(minimal('callbacks: {}\n'), {})).issues[0]?.path).toBe(
      'callbacks.secret',
    );
    const error = configError(() => parseConfig(minimal('callbacks: { secret: tiny-secret }\n'), {}));
    expect(error.issues.map((i) => i.path)).toStrictEqual(['callbacks.secret']);
    expect(error.message).not.toContain('tiny-secret');
  });
});
