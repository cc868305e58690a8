import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { createSipEngine, EngineFeatureUnsupportedError } from '../../../src/sip/index.js';
import { silentLogger } from '../../../src/log/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sip-dialer-tls-config-'));
const ca = join(dir, 'ca.pem');
const cert = join(dir, 'client.pem');
const key = join(dir, 'client.key');
// Only readability is checked at load; the engine parses the PEM (its own test).
for (const file of [ca, cert, key]) writeFileSync(file, '-----BEGIN CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trunk = (lines: string) =>
  `trunks:\n  - name: carrier\n    domain: carrier.test\n    proxy: 192.0.2.1\n${lines
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n')}\n`;

function issues(yaml: string): Array<{ path: string; message: string }> {
  try {
    parseConfig(yaml, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('transport tls in the config', () => {
  it('reads a TLS trunk: files as paths, verification on by default, keep-alive defaults', () => {
    const config = parseConfig(
      trunk(
        `transport: tls\nsips: true\ntls: { ca: ${ca}, cert: ${cert}, key: ${key}, servername: sbc.carrier.test }`,
      ),
      {},
    );
    expect(config.trunks[0]).toMatchObject({
      transport: 'tls',
      sips: true,
      tls: { ca, cert, key, servername: 'sbc.carrier.test', rejectUnauthorized: true },
    });
    expect(config.trunks[0]?.tls).not.toHaveProperty('insecure');
    expect(config.sip.tls).toStrictEqual({ keepAliveMs: 30_000, keepAliveTimeoutMs: 10_000 });
  });

  it('takes tls from sip.transport for trunks that do not say', () => {
    const config = parseConfig(`sip: { transport: tls, tls: { keepAlive: 0 } }\n${trunk('tls: {}')}`, {});
    expect(config.trunks[0]?.transport).toBe('tls');
    expect(config.sip.tls.keepAliveMs).toBe(0);
  });

  it('refuses rejectUnauthorized: false without the insecure acknowledgement, and takes it with', () => {
    expect(issues(trunk('transport: tls\ntls: { rejectUnauthorized: false }'))).toStrictEqual([
      {
        path: 'trunks[0].tls.rejectUnauthorized',
        message: expect.stringMatching(/accepts any certificate.*for tests only.*tls\.insecure: true/),
      },
    ]);
    const config = parseConfig(
      trunk('transport: tls\ntls: { rejectUnauthorized: false, insecure: true }'),
      {},
    );
    expect(config.trunks[0]?.tls?.rejectUnauthorized).toBe(false);
  });

  it('names a CA bundle that cannot be read, with its path', () => {
    const missing = join(dir, 'nope.pem');
    expect(issues(trunk(`transport: tls\ntls: { ca: ${missing} }`))).toStrictEqual([
      { path: 'trunks[0].tls.ca', message: `cannot be read (ENOENT) (got ${JSON.stringify(missing)})` },
    ]);
    expect(issues(trunk(`transport: tls\ntls: { ca: ${dir} }`))[0]?.message).toMatch(/^is not a file/);
  });

  it('wants a client certificate and its key together', () => {
    expect(issues(trunk(`transport: tls\ntls: { cert: ${cert} }`))).toStrictEqual([
      { path: 'trunks[0].tls.key', message: 'is required with tls.cert: a client certificate needs its key' },
    ]);
  });

  it('refuses tls settings or sips on a trunk that does not use tls', () => {
    expect(issues(trunk(`transport: tcp\nsips: true\ntls: { ca: ${ca} }`)).map((i) => i.path)).toStrictEqual([
      'trunks[0].tls',
      'trunks[0].sips',
    ]);
    expect(issues(trunk('sips: true'))[0]?.message).toBe(
      "is set but the trunk's transport is udp: set transport: tls (got true)",
    );
  });

  it('the drachtio engine refuses a tls trunk at start with SIP_ENGINE_FEATURE_UNSUPPORTED', () => {
    const config = parseConfig(
      `engine: drachtio\ndrachtio: { host: 127.0.0.1, secret: cymru }\n${trunk('transport: tls')}`,
      {},
    );
    let error: unknown;
    try {
      createSipEngine(config, { logger: silentLogger() });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EngineFeatureUnsupportedError);
    expect((error as EngineFeatureUnsupportedError).code).toBe('SIP_ENGINE_FEATURE_UNSUPPORTED');
    expect((error as Error).message).toMatch(
      /^trunks\.carrier: transport tls is not supported by the drachtio engine/,
    );
  });
});

describe('drachtio.tls: who owns TLS with engine: drachtio', () => {
  const drachtio = (tls: string) =>
    `engine: drachtio\ndrachtio: { host: 127.0.0.1, secret: cymru${tls ? `, tls: ${tls}` : ''} }\n`;

  it('refuses by default, and says how to opt in', () => {
    const config = parseConfig(`${drachtio('')}${trunk('transport: tls')}`, {});
    expect(config.drachtio?.tls).toBe('refuse');
    expect(() => createSipEngine(config, { logger: silentLogger() })).toThrow(/set drachtio\.tls: server/);
  });

  it('names the field and the value it does not know', () => {
    expect(issues(`${drachtio('maybe')}${trunk('transport: tls')}`)).toStrictEqual([
      { path: 'drachtio.tls', message: 'expected one of refuse, server (got "maybe")' },
    ]);
  });

  it('with tls: server builds the engine for tls and sips trunks, and for sip.transport tls', () => {
    for (const yaml of [
      `${drachtio('server')}${trunk('transport: tls\nsips: true')}`,
      `${drachtio('server')}sip: { transport: tls }\n${trunk('')}`,
    ]) {
      const config = parseConfig(yaml, {});
      expect(config.drachtio?.tls).toBe('server');
      const engine = createSipEngine(config, { logger: silentLogger() });
      expect(engine.name).toBe('drachtio');
      void engine.close();
    }
  });

  it('refuses trunk tls settings nothing would apply, naming each field and its value', () => {
    const found = issues(
      `${drachtio('server')}${trunk(`transport: tls\ntls: { ca: ${ca}, servername: sbc.carrier.test, rejectUnauthorized: false, insecure: true }`)}`,
    );
    expect(found.map((issue) => issue.path)).toStrictEqual([
      'trunks[0].tls.ca',
      'trunks[0].tls.servername',
      'trunks[0].tls.insecure',
      'trunks[0].tls.rejectUnauthorized',
    ]);
    expect(found[0]?.message).toBe(
      "is not used with engine: drachtio and drachtio.tls: server: drachtio-server checks carriers' " +
        `certificates with its own <tls> config, this process checks nothing (got ${JSON.stringify(ca)})`,
    );
    expect(found[1]?.message).toMatch(/\(got "sbc\.carrier\.test"\)$/);
    // The same trunk settings are the embedded engine's to apply.
    expect(() => parseConfig(trunk(`transport: tls\ntls: { ca: ${ca} }`), {})).not.toThrow();
  });
});

describe('the TLS listener in the config (sip.tls.cert, key, port)', () => {
  it('wants the certificate and its key together, naming the missing one', () => {
    expect(issues(`sip: { tls: { cert: ${cert} } }\n${trunk('')}`)).toStrictEqual([
      { path: 'sip.tls.key', message: 'is required with sip.tls.cert: the TLS listener needs both' },
    ]);
  });

  it('refuses files that make no server identity, naming both paths and never their content', () => {
    writeFileSync(join(dir, 'server.key'), '-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRET\n');
    const found = issues(`sip: { tls: { cert: ${cert}, key: ${join(dir, 'server.key')} } }\n${trunk('')}`);
    expect(found).toStrictEqual([
      {
        path: 'sip.tls.key',
        message: expect.stringMatching(
          /^with sip\.tls\.cert ".*client\.pem" is not a usable TLS server identity \(.*\) \(got ".*server\.key"\)$/,
        ),
      },
    ]);
    expect(found[0]?.message).not.toContain('SECRET');
  });

  it('refuses a port out of range', () => {
    expect(issues(`sip: { tls: { port: 70000 } }\n${trunk('')}`)[0]?.path).toBe('sip.tls.port');
  });

  it('has no listener without a certificate', () => {
    expect(parseConfig(trunk('transport: tls'), {}).sip.tls).not.toHaveProperty('server');
  });
});
