import { describe, expect, it } from 'vitest';
import { censorSecrets, createLogger } from '../../../src/log/index.js';

describe('censorSecrets', () => {
  it('censors secret-named keys at any depth and URL passwords, without touching the input', () => {
    const config = Object.freeze({
      redis: 'redis://default:r3dis-pw@10.0.0.1:6379',
      trunks: Object.freeze([
        Object.freeze({ name: 'carrier', password: 'p1', headers: { 'X-Api-Key': 'k' } }),
      ]),
      api: Object.freeze({ token: 't', listen: { host: '0.0.0.0', port: 8080 } }),
      callbacks: { secret: 's', timeoutMs: 5000 },
    });
    expect(censorSecrets({ config })).toEqual({
      config: {
        redis: 'redis://default:[redacted]@10.0.0.1:6379',
        trunks: [{ name: 'carrier', password: '[redacted]', headers: { 'X-Api-Key': '[redacted]' } }],
        api: { token: '[redacted]', listen: { host: '0.0.0.0', port: 8080 } },
        callbacks: { secret: '[redacted]', timeoutMs: 5000 },
      },
    });
    expect(config.trunks[0]?.password).toBe('p1');
  });

  it('returns the very same object when there is nothing to censor, and leaves errors to pino', () => {
    const clean = { jobId: 'j', attempts: [{ sipCode: 200 }], url: 'http://example.com/x' };
    expect(censorSecrets(clean)).toBe(clean);
    const error = new Error('boom');
    expect(censorSecrets({ err: error }).err).toBe(error);
  });

  it('is applied to every line and to child bindings of the process logger', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    logger
      .child({ trunk: { name: 'c', password: 'bound-secret-1' } })
      .info({ deep: { a: { b: { token: 'x-secret-2' } } } }, 'hi');
    expect(lines.join('')).not.toMatch(/bound-secret-1|x-secret-2/);
    expect(lines.join('')).toContain('"name":"c"');
  });
});
