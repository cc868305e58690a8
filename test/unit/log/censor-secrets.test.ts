import { describe, expect, it } from 'vitest';
import { censorSecrets, censorText, createLogger } from '../../../src/log/index.js';

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

  it('masks passwords given in a URL query, as ioredis reads them', () => {
    expect(censorText('Redis at redis://127.0.0.1:1/0?password=s3cretpw is not available')).toBe(
      'Redis at redis://127.0.0.1:1/0?password=[redacted] is not available',
    );
    expect(censorText('GET /x?a=1&token=t0k&b=2')).toBe('GET /x?a=1&token=[redacted]&b=2');
  });

  it('masks SDES keys (a=crypto inline:) in any logged SDP, keeping lifetime and MKI', () => {
    const key = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
    const sdp = `v=0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^20|1:4\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 INLINE:${key}\r\n`;
    const censored = censorSecrets({ sip: { body: sdp }, msg: `answer ${sdp}` });
    expect(JSON.stringify(censored)).not.toContain(key.slice(0, 12));
    expect(censored.sip.body).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]|2^20|1:4\r\n');
    expect(censorText(`inline:${key}`)).toBe('inline:[redacted]');
  });

  it('returns the very same object when there is nothing to censor', () => {
    const clean = { jobId: 'j', attempts: [{ sipCode: 200 }], url: 'http://example.com/x' };
    expect(censorSecrets(clean)).toBe(clean);
  });

  it('serializes errors under any key: Redis command arguments and URL passwords never pass', () => {
    // The shape of ioredis' ReplyError when a login is refused.
    const refused = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'dialer', 'pw-in-args-1'] },
    });
    const wrapped = new Error('connect to redis://dialer:pw-in-url-2@10.0.0.1:6379 failed', {
      cause: refused,
    });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    logger.error({ err: refused }, 'a');
    logger.error({ error: wrapped, nested: { errors: [refused] } }, 'b');
    logger.error(wrapped, 'c');
    const text = lines.join('');
    expect(text).not.toMatch(/pw-in-args-1|pw-in-url-2/);
    expect(text).toContain('WRONGPASS');
    expect(text).toContain('"command":{"name":"hello","args":"[redacted]"}');
    expect(text).toContain('redis://dialer:[redacted]@10.0.0.1:6379');
    expect(censorText('a redis://:p@h:1 and rediss://u:q@h2/0')).toBe(
      'a redis://:[redacted]@h:1 and rediss://u:[redacted]@h2/0',
    );
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
