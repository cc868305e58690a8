import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackDestinationError } from '../../../src/callbacks/callback-destination-error.js';
import { CallbackDestinations } from '../../../src/callbacks/callback-destinations.js';
import { createCallbackAgents, deliverCallback } from '../../../src/callbacks/deliver-callback.js';
import { nonPublicRange } from '../../../src/callbacks/non-public-range.js';

/** Spellings of this host's loopback that a URL parser or resolver turns into 127.0.0.1. */
const LOOPBACK_SPELLINGS = [
  `http://127.0.0.1:PORT/hook?token=t`,
  `http://localhost:PORT/hook`,
  `http://2130706433:PORT/hook`,
  `http://0x7f000001:PORT/hook`,
  `http://0177.0.0.1:PORT/hook`,
  `http://127.1:PORT/hook`,
  `http://[::ffff:127.0.0.1]:PORT/hook`,
  `http://0.0.0.0:PORT/hook`,
];
const at = (template: string, port: number): string => template.replace('PORT', String(port));

describe('status callback destinations (SSRF)', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  const agents = createCallbackAgents();

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    agents.http.destroy();
    agents.https.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const deliver = (url: string, allowPrivate: string[] = []) =>
    deliverCallback({
      url,
      body: '{}',
      headers: {},
      timeoutMs: 5000,
      agents,
      destinations: new CallbackDestinations(allowPrivate),
    });

  it.each(LOOPBACK_SPELLINGS)(
    'refuses %s without the allow-list, and the listener receives nothing',
    async (template) => {
      const url = at(template, port);
      const before = hits.length;
      const error = await deliver(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CallbackDestinationError);
      expect((error as Error).message).toMatch(/refused: .* is (loopback|"this network")/);
      expect((error as Error).message).toContain('callbacks.allowPrivate');
      // Origin only: the receiver's own token in the query stays out of errors and logs.
      expect((error as Error).message).not.toMatch(/hook|token/);
      expect(hits.length).toBe(before);
    },
  );

  it('delivers into the listener once the allow-list names it, by network or by host name', async () => {
    const before = hits.length;
    for (const url of LOOPBACK_SPELLINGS.slice(0, 7).map((t) => at(t, port))) {
      expect(await deliver(url, ['127.0.0.0/8']), url).toBe(204);
    }
    expect(await deliver(at('http://localhost:PORT/by-name', port), ['localhost'])).toBe(204);
    expect(hits.length).toBe(before + 8);
    // A host name allows that name only, not the address spelt another way.
    await expect(deliver(at('http://127.0.0.1:PORT/x', port), ['localhost'])).rejects.toBeInstanceOf(
      CallbackDestinationError,
    );
    // A narrower network than the address is no allowance.
    await expect(deliver(at('http://127.0.0.1:PORT/x', port), ['127.0.0.2/32'])).rejects.toBeInstanceOf(
      CallbackDestinationError,
    );
    expect(hits.length).toBe(before + 8);
  });

  it('classes every non-public range, IPv4 carried in IPv6 included, and leaves public ones alone', () => {
    const refused = [
      '169.254.169.254',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::7f00:1',
      'ff02::1',
    ];
    for (const address of refused) expect(nonPublicRange(address), address).toBeDefined();
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(nonPublicRange(address), address).toBeUndefined();
    }
  });
});
