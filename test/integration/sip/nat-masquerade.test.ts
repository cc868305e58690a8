import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../../helpers/free-port.js';
import { startKamailioRegistrar } from '../../helpers/kamailio-registrar.js';
import { NatHosts } from '../../helpers/nat-hosts.js';
import { startSipp } from '../../helpers/sipp.js';

const ENGINE = fileURLToPath(new URL('./nat-masquerade-engine.ts', import.meta.url));

const unavailable =
  (await NatHosts.unavailable()) ??
  (spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error ? 'kamailio is not installed' : undefined);

interface Traced {
  readonly direction: 'sent' | 'received';
  readonly firstLine: string;
  /** Where it went to or came from, `host:port`. */
  readonly remote: string;
  header(name: string): string;
}

function parse(raw: string, direction: 'sent' | 'received', remote: string): Traced {
  const [head = ''] = raw.split('\r\n\r\n');
  const [firstLine = '', ...lines] = head.split('\r\n');
  return {
    direction,
    firstLine,
    remote,
    // The first of a header's values (the top Via is the one a reply's received/rport are on).
    header: (name) =>
      lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.replace(/^[^:]*: */, '') ?? '',
  };
}

describe.skipIf(unavailable !== undefined)(
  `NAT: engine behind an nftables masquerade, Kamailio registrar outside${unavailable === undefined ? '' : `: SKIPPED, ${unavailable}`}`,
  () => {
    let made: NatHosts | undefined;
    // Also when the test times out (its own finally never runs then) and the process lives on.
    afterEach(async () => {
      await made?.close();
      made = undefined;
    });

    it('learns the public address from the registrar`s received/rport, re-registers with it, and a call answers and ends through the NAT', async () => {
      const hosts = await NatHosts.create();
      made = hosts;
      try {
        const sipp = await startSipp({ scenario: 'uas-answer-record-route.xml', host: hosts.carrier });
        const registrar = await startKamailioRegistrar({
          host: hosts.carrier,
          port: await freeUdpPort(),
          relayTo: sipp.uri,
        });
        try {
          const lines: string[] = [];
          const child = spawn(
            'ip',
            [
              'netns',
              'exec',
              hosts.lan,
              process.execPath,
              '--import',
              'tsx',
              ENGINE,
              JSON.stringify({ listenHost: hosts.lanAddress, registrar: registrar.uri }),
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let stderr = '';
          let buffered = '';
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            buffered += chunk;
            const parts = buffered.split('\n');
            buffered = parts.pop() ?? '';
            lines.push(...parts);
          });
          child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
          const killer = (): void => void child.kill('SIGKILL');
          process.once('exit', killer);
          // Bounded, so a call that hangs fails with the wire and Kamailio's log instead of the test's timeout.
          const stuck = setTimeout(killer, 15_000);
          const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
          clearTimeout(stuck);
          process.off('exit', killer);
          const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
          const context = `${lines.join('\n')}\n${stderr}\n${registrar.log().slice(-2000)}`;
          expect(code, context).toBe(0);
          expect(events.filter((e) => 'registered' in e || 'answered' in e || 'hungUp' in e)).toEqual([
            { registered: 'registered' },
            { answered: true },
            { hungUp: true },
          ]);

          const wire = events
            .filter((e) => typeof e['raw'] === 'string')
            .map((e) => {
              const remote = e['remote'] as { address: string; port: number };
              return parse(
                e['raw'] as string,
                e['trace'] as 'sent' | 'received',
                `${remote.address}:${remote.port}`,
              );
            });
          const sent = (method: string): Traced[] =>
            wire.filter((m) => m.direction === 'sent' && m.firstLine.startsWith(`${method} `));
          const answers = (method: string, status: number): Traced[] =>
            wire.filter(
              (m) =>
                m.direction === 'received' &&
                m.firstLine.startsWith(`SIP/2.0 ${status} `) &&
                m.header('CSeq').endsWith(` ${method}`),
            );

          const registers = sent('REGISTER');
          expect(registers.length, context).toBeGreaterThanOrEqual(2);
          // First REGISTER: the Contact is the lan host's own, private address.
          expect(registers[0]!.header('Contact')).toContain(`@${hosts.lanAddress}:`);
          // The registrar saw it come from the router's outside address, and said so.
          const [firstOk] = answers('REGISTER', 200);
          const via = firstOk!.header('Via');
          expect(via).toContain(`received=${hosts.routerOutside}`);
          expect(via).toMatch(/;rport=\d+/);
          const publicPort = /;rport=(\d+)/.exec(via)![1]!;
          // The router mapped the port too: the public address differs from the Contact's in both.
          const privatePort = /@[^:]+:(\d+)/.exec(registers[0]!.header('Contact'))![1]!;
          expect(publicPort).not.toBe(privatePort);
          const publicContact = `@${hosts.routerOutside}:${publicPort}`;
          // Re-REGISTER and the INVITE name the public address.
          expect(registers[1]!.header('Contact')).toContain(publicContact);
          const [invite] = sent('INVITE');
          expect(invite!.header('Contact')).toContain(publicContact);
          // Answered through the NAT, and the BYE (through the proxy's Record-Route) completed.
          expect(answers('INVITE', 200).length).toBeGreaterThanOrEqual(1);
          expect(sent('ACK').length).toBeGreaterThanOrEqual(1);
          expect(sent('BYE').map((m) => m.remote)).toEqual([registrar.uri]);
          expect(answers('BYE', 200).length).toBeGreaterThanOrEqual(1);
          expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
        } finally {
          await registrar.stop();
        }
      } finally {
        await hosts.close();
      }
    }, 30_000);
  },
);
