import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePortPair } from '../../helpers/free-port.js';
import { reserveRtpRange } from '../../helpers/rtp-port-range.js';
import { runCliCaptured, type CliRun } from '../../helpers/run-cli-captured.js';
import { startSipp, type SippPeer } from '../../helpers/sipp.js';

async function configFor(peer: SippPeer | { uri: string }, extra = ''): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'probe-'));
  const sipPort = await freePortPair();
  const rtp = await reserveRtpRange();
  const file = join(dir, 'dialer.yaml');
  await writeFile(
    file,
    `sip: { listen: 127.0.0.1:${sipPort} }
media: { address: 127.0.0.1, ports: ${rtp.first}-${rtp.last} }
trunks:
  - name: carrier
    proxy: ${peer.uri}
    domain: carrier.test
    username: dialer1
    password: \${PROBE_PASSWORD}
${extra}`,
  );
  return file;
}

const run = (args: string[]): Promise<CliRun> =>
  runCliCaptured(args, { PROBE_PASSWORD: 'secret', LOG_LEVEL: 'silent' });

describe('dialer probe', () => {
  it('probe call: timeline, final status, post-dial delay and the media address; exit 0', async () => {
    const peer = await startSipp({ scenario: 'uas-challenge-401.xml' });
    const config = await configFor(peer);
    const { code, out } = await run([
      'probe',
      'call',
      '5534984149880',
      '--config',
      config,
      '--hangup-after',
      '100ms',
    ]);
    expect(code).toBe(0);
    expect(out).toContain('INVITE sip:5534984149880@carrier.test');
    expect(out).toMatch(/<- SIP\/2\.0 401 Unauthorized/);
    expect(out).toMatch(/final: 200 OK/);
    expect(out).toMatch(/post-dial delay: \d+ ms/);
    expect(out).toMatch(/setup time: \d+ ms \(2 INVITEs\)/);
    expect(out).toMatch(/media: PCM[UA] to 127\.0\.0\.1:\d+/);
    expect(await peer.waitForExit()).toBe(0);
  });

  it('probe call registers first when the trunk registers, and its delays agree with its own timeline', async () => {
    // A carrier that answers INVITEs only from a registered UA (403 otherwise), as workers meet it.
    const peer = await startSipp({ scenario: 'uas-registrar-carrier.xml', calls: 2 });
    const config = await configFor(peer, '    register: true\n');
    const { code, out } = await run([
      'probe',
      'call',
      '5534984149880',
      '--config',
      config,
      '--hangup-after',
      '100ms',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/registered first: yes, granted expiry 60s/);
    expect(out).toMatch(/final: 200 OK/);
    expect(out).toMatch(/ended: by local \(probe-done\)/);
    const at = (line: RegExp): number => Number(new RegExp(`\\+(\\d+)ms {2}${line.source}`).exec(out)?.[1]);
    const invite = at(/-> INVITE /);
    expect(Number(/post-dial delay: (\d+) ms/.exec(out)?.[1])).toBe(at(/<- SIP\/2\.0 180 /) - invite);
    // The 200 of the INVITE, not the REGISTER's (the first 200 in the timeline).
    const answered = [...out.matchAll(/\+(\d+)ms {2}<- SIP\/2\.0 200 OK/g)].map((m) => Number(m[1]));
    expect(Number(/setup time: (\d+) ms/.exec(out)?.[1])).toBe(answered.find((t) => t > invite)! - invite);
    const requests = (await peer.messages())
      .filter((m) => m.direction === 'received' && m.method !== 'ACK')
      .map((m) => `${m.method}${m.method === 'REGISTER' ? ` ${m.headers['expires'] ?? ''}` : ''}`);
    // Registered before the INVITE, unregistered after the call.
    expect(requests).toEqual(['REGISTER 3600', 'INVITE', 'BYE', 'REGISTER 0']);
    expect(await peer.waitForExit()).toBe(0);
  });

  it('probe call --json --trace: every message, digest proof masked, password nowhere', async () => {
    const peer = await startSipp({ scenario: 'uas-challenge-401.xml' });
    const config = await configFor(peer);
    const { code, out } = await run([
      'probe',
      'call',
      '100',
      '--config',
      config,
      '--hangup-after',
      '50ms',
      '--json',
      '--trace',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { status: number; trace: Array<{ raw: string; direction: string }> };
    expect(report.status).toBe(200);
    const authorized = report.trace.find((t) => /^Authorization:/m.test(t.raw));
    expect(authorized?.raw).toMatch(/response="\*\*\*"/);
    expect(out).not.toContain('secret');
    expect(report.trace.map((t) => t.direction)).toContain('received');
  });

  it('probe call reports a rejection and still exits 0', async () => {
    const peer = await startSipp({ scenario: 'uas-reject-404.xml' });
    const config = await configFor(peer);
    const { code, out } = await run(['probe', 'call', '+5534984149880', '--config', config]);
    expect(code).toBe(0);
    expect(out).toMatch(/final: 404 Not Found \[setup\]/);
  });

  it('probe register: granted expiry, the challenge, and the unregister', async () => {
    const peer = await startSipp({ scenario: 'uas-register.xml', vars: { expires: '120' } });
    const config = await configFor(peer, '    register: true\n');
    const { code, out } = await run(['probe', 'register', '--config', config]);
    expect(code).toBe(0);
    expect(out).toMatch(/registered: yes, granted expiry 120s/);
    expect(out).toMatch(/challenge: 401 realm="carrier\.test"/);
    expect(out).toMatch(/unregistered: yes/);
    await peer.stop();
    const registers = (await peer.messages()).filter(
      (m) => m.direction === 'received' && m.method === 'REGISTER',
    );
    expect(registers.at(-1)?.headers['expires']).toBe('0');
  });

  it('exits 2 naming the problem: unknown trunk, bad number, bad config', async () => {
    const config = await configFor({ uri: '127.0.0.1:9' });
    const unknown = await run(['probe', 'call', '100', '--config', config, '--trunk', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--trunk "nope"');
    const injected = await run(['probe', 'call', '100@evil.example;transport=tcp', '--config', config]);
    expect(injected.code).toBe(2);
    expect(injected.err).toContain('NUMBER');
    const badConfig = join(await mkdtemp(join(tmpdir(), 'probe-')), 'bad.yaml');
    await writeFile(badConfig, 'trunks:\n  - name: carrier\n    domain: carrier.test\n    pasword: x\n');
    const bad = await run(['probe', 'register', '--config', badConfig]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('pasword');
    const missing = await run(['probe', 'call']);
    expect(missing.code).toBe(2);
  });
});
