import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDrachtioUrl } from '../../../src/config/parse-drachtio-url.js';
import { DrachtioSipEngine } from '../../../src/sip/drachtio/drachtio-engine.js';
import type { StrandedDialogEnd } from '../../../src/sip/drachtio/stranded-dialogs.js';
import type { SipDtmf, SipEngine } from '../../../src/sip/engine.js';
import { SIPP_FIXTURES, startSipp } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { endedOf, received, SDP, trunkFor } from './conformance-helpers.js';
import { drachtioEngine, enginesUnderTest } from './engines-under-test.js';

/**
 * A TCP relay between the engine and the real drachtio-server, so a test can cut the control
 * connection the way a network fault would, while drachtio-server itself stays up.
 */
class ControlRelay {
  readonly #pairs = new Set<[net.Socket, net.Socket]>();
  #server: net.Server | undefined;
  accepted = 0;
  /** While true, new connections are closed at once, as by a link that is still down. */
  refusing = false;

  constructor(readonly target: { host: string; port: number }) {}

  async listen(): Promise<number> {
    const server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      this.accepted++;
      const upstream = net.connect(this.target.port, this.target.host);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.#pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    return (server.address() as net.AddressInfo).port;
  }

  /** Cuts every relayed connection (new ones are still relayed). */
  dropAll(): void {
    for (const [client, upstream] of [...this.#pairs]) {
      client.destroy();
      upstream.destroy();
    }
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

for (const underTest of enginesUnderTest) {
  describe.skipIf(underTest.skip !== undefined)(
    `SIP INFO DTMF: ${underTest.name}${underTest.skip !== undefined ? ` SKIPPED: ${underTest.skip}` : ''}`,
    () => {
      let engine: SipEngine | undefined;
      afterEach(async () => {
        await engine?.close();
        engine = undefined;
      });

      it('reports each INFO digit (application/dtmf-relay with its duration, application/dtmf) and answers 200', async () => {
        const peer = await startSipp({ scenario: 'uas-info-dtmf.xml' });
        engine = await underTest.create({ transport: 'udp' });
        const leg = await engine.invite({
          trunk: trunkFor(peer),
          uri: 'sip:100@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 5000,
        });
        const digits: SipDtmf[] = [];
        leg.on('dtmf', (dtmf) => digits.push(dtmf));
        await waitFor(() => digits.length === 3, { what: 'three INFO digits' });
        expect(digits).toEqual([
          { digit: '4', durationMs: 160, contentType: 'application/dtmf-relay' },
          { digit: '2', durationMs: 100, contentType: 'application/dtmf-relay' },
          { digit: '#', contentType: 'application/dtmf' },
        ]);
        await leg.hangup();
        // sipp fails the call (exit 1) on any INFO left unanswered or answered other than 200.
        expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      });
    },
  );
}

const drachtioUrl = process.env['DRACHTIO_URL'];
const drachtio = drachtioUrl ? parseDrachtioUrl(drachtioUrl) : undefined;

describe.skipIf(drachtioEngine.skip !== undefined || drachtio === undefined)(
  `drachtio engine: an answered call whose control connection drops${
    drachtioEngine.skip !== undefined ? ` SKIPPED: ${drachtioEngine.skip}` : ''
  }`,
  () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    it('is reported ended at once, and gets its BYE through drachtio-server once the connection is back', async () => {
      const relay = new ControlRelay({ host: drachtio!.host, port: drachtio!.port });
      const relayPort = await relay.listen();
      cleanup.push(() => relay.close());
      const ends: StrandedDialogEnd[] = [];
      const engine = new DrachtioSipEngine({
        host: '127.0.0.1',
        port: relayPort,
        secret: drachtio!.secret,
        connectTimeoutMs: 5000,
        retryMaxDelayMs: 200,
        onStrandedDialogEnd: (end) => ends.push(end),
      });
      cleanup.push(() => engine.close());
      await engine.start();
      // Answers, then waits for our BYE (sipp fails the call if none comes before its timeout).
      const peer = await startSipp({ scenario: 'uas-answer.xml' });
      const leg = await engine.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      const ended = endedOf(leg);
      // A call well under way: the ACK is out (drachtio-srf sends it just after createUAC resolves).
      await waitFor(async () => received(await peer.messages(), 'ACK').length >= 1, { what: 'the ACK' });

      relay.dropAll();
      expect(await ended).toMatchObject({ by: 'error', reason: 'transport-error' });
      expect(engine.activeCalls).toBe(0);

      await waitFor(() => ends.length === 1, { what: 'the stranded dialog ended after reconnecting' });
      expect(relay.accepted).toBe(2);
      expect(ends[0]).toEqual({ callId: leg.callId, result: 'ended', status: 200 });
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      const byes = received(await peer.messages(), 'BYE');
      expect(byes).toHaveLength(1);
      expect(byes[0]!.raw).toContain(leg.callId);
    });

    it('whose far end hangs up while the connection is down is found gone after the reconnect, with no BYE sent', async () => {
      const relay = new ControlRelay({ host: drachtio!.host, port: drachtio!.port });
      const relayPort = await relay.listen();
      cleanup.push(() => relay.close());
      const ends: StrandedDialogEnd[] = [];
      const engine = new DrachtioSipEngine({
        host: '127.0.0.1',
        port: relayPort,
        secret: drachtio!.secret,
        connectTimeoutMs: 5000,
        retryMaxDelayMs: 200,
        onStrandedDialogEnd: (end) => ends.push(end),
      });
      cleanup.push(() => engine.close());
      await engine.start();
      // Hangs up 300 ms after the ACK, by which time our connection is down. drachtio-server, no
      // client owning the dialog any more, drops it and answers that BYE 481 (client-controller.cpp
      // route_request_inside_dialog): the far end's call is over all the same (RFC 3261 §15.1.1).
      const fixture = await readFile(join(SIPP_FIXTURES, 'uas-answer-then-bye.xml'), 'utf8');
      const dir = await mkdtemp(join(tmpdir(), 'drachtio-bye-481-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const scenario = join(dir, 'uas-answer-then-bye-481.xml');
      await writeFile(scenario, fixture.replace('<recv response="200" />', '<recv response="481" />'));
      const peer = await startSipp({ scenario, vars: { hold_ms: '300' } });
      const leg = await engine.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      const ended = endedOf(leg);
      await waitFor(async () => received(await peer.messages(), 'ACK').length >= 1, { what: 'the ACK' });
      relay.refusing = true;
      relay.dropAll();
      expect(await ended).toMatchObject({ by: 'error', reason: 'transport-error' });
      // sipp's scenario ends only on drachtio-server's 481 to its BYE.
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      relay.refusing = false;
      await waitFor(() => ends.length === 1, { what: 'the stranded dialog looked at after reconnecting' });
      expect(ends[0]).toMatchObject({ callId: leg.callId, result: 'gone' });
      expect(received(await peer.messages(), 'BYE')).toHaveLength(0);
    });
  },
);
