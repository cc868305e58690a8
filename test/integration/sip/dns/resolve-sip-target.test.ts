import { promises as dns } from 'node:dns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  resolveSipTarget,
  SipResolveError,
  SipTargetCache,
  type SipTarget,
} from '../../../../src/sip/embedded/dns/index.js';
import { DnsTestServer, type DnsRecords } from '../../../helpers/dns-server.js';

const RECORDS: Record<string, DnsRecords> = {
  'plain.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
  'v4only.test': { A: ['192.0.2.11'] },
  // SRV by priority: b (10) before a (20); each target has its own addresses.
  '_sip._udp.srv.test': {
    SRV: [
      { priority: 20, weight: 0, port: 5080, target: 'a.srv.test' },
      { priority: 10, weight: 0, port: 5070, target: 'b.srv.test' },
    ],
  },
  '_sip._tcp.srv.test': { SRV: [{ priority: 10, weight: 0, port: 5090, target: 'tcp.srv.test' }] },
  '_sips._tcp.srv.test': { SRV: [{ priority: 10, weight: 0, port: 5091, target: 'tls.srv.test' }] },
  'tls.srv.test': { A: ['192.0.2.41'] },
  'srv.test': { A: ['192.0.2.99'] },
  'a.srv.test': { A: ['192.0.2.20'] },
  'b.srv.test': { A: ['192.0.2.30'], AAAA: ['2001:db8::30'] },
  'tcp.srv.test': { A: ['192.0.2.40'] },
  '_sip._udp.weighted.test': {
    SRV: [
      { priority: 10, weight: 50, port: 5060, target: 'w1.weighted.test' },
      { priority: 10, weight: 50, port: 5060, target: 'w2.weighted.test' },
    ],
  },
  'weighted.test': {},
  'w1.weighted.test': { A: ['192.0.2.51'] },
  'w2.weighted.test': { A: ['192.0.2.52'] },
  '_sip._udp.broken.test': { SRV: [{ priority: 10, weight: 0, port: 5060, target: 'gone.broken.test' }] },
  '_sip._udp.none.test': { SRV: [{ priority: 0, weight: 0, port: 0, target: '.' }] },
};

let server: DnsTestServer;
let resolver: dns.Resolver;

beforeAll(async () => {
  server = await DnsTestServer.start(RECORDS);
  // One try, short timeout: a broken test server should fail the test, not hang it.
  resolver = new dns.Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([server.address]);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.setRecords(RECORDS);
  server.queries.length = 0;
});

const resolve = (target: string, transport: 'udp' | 'tcp' | 'tls' = 'udp') =>
  resolveSipTarget(target, transport, { resolver });

describe('resolveSipTarget', () => {
  it('returns IP literals as they are, without asking DNS', async () => {
    expect(await resolve('192.0.2.1')).toStrictEqual([{ address: '192.0.2.1', port: 5060, family: 4 }]);
    expect(await resolve('192.0.2.1:5080')).toStrictEqual([{ address: '192.0.2.1', port: 5080, family: 4 }]);
    expect(await resolve('[2001:db8::1]')).toStrictEqual([{ address: '2001:db8::1', port: 5060, family: 6 }]);
    expect(await resolve('[2001:db8::1]:5070')).toStrictEqual([
      { address: '2001:db8::1', port: 5070, family: 6 },
    ]);
    expect(await resolve('::1')).toStrictEqual([{ address: '::1', port: 5060, family: 6 }]);
    expect(server.queries).toStrictEqual([]);
  });

  it('resolves host:port to A then AAAA on that port, skipping SRV', async () => {
    expect(await resolve('plain.test:5099')).toStrictEqual<SipTarget[]>([
      { address: '192.0.2.10', port: 5099, family: 4 },
      { address: '2001:db8::10', port: 5099, family: 6 },
    ]);
    expect(server.queries.map((query) => query.type).sort()).toStrictEqual(['A', 'AAAA']);
  });

  it('orders SRV records by priority and resolves each target', async () => {
    expect(await resolve('srv.test')).toStrictEqual<SipTarget[]>([
      { address: '192.0.2.30', port: 5070, family: 4 },
      { address: '2001:db8::30', port: 5070, family: 6 },
      { address: '192.0.2.20', port: 5080, family: 4 },
    ]);
    expect(server.queriesFor('_sip._udp.srv.test')).toHaveLength(1);
    // The SRV answer wins: the host's own A record is not used.
    expect(server.queriesFor('srv.test')).toStrictEqual([]);
  });

  it('asks _sip._tcp for TCP', async () => {
    expect(await resolve('srv.test', 'tcp')).toStrictEqual([
      { address: '192.0.2.40', port: 5090, family: 4 },
    ]);
  });

  it('asks _sips._tcp for TLS (RFC 3263 §4.2), not _sip._tcp', async () => {
    expect(await resolve('srv.test', 'tls')).toStrictEqual([
      { address: '192.0.2.41', port: 5091, family: 4 },
    ]);
    expect(server.queriesFor('_sip._tcp.srv.test')).toStrictEqual([]);
  });

  it('falls back to A/AAAA on port 5061 for TLS, and an IP literal without a port is 5061 too', async () => {
    expect(await resolve('v4only.test', 'tls')).toStrictEqual([
      { address: '192.0.2.11', port: 5061, family: 4 },
    ]);
    expect(server.queriesFor('_sips._tcp.v4only.test')).toHaveLength(1);
    expect(await resolve('192.0.2.7', 'tls')).toStrictEqual([
      { address: '192.0.2.7', port: 5061, family: 4 },
    ]);
  });

  it('spreads equal SRV weights over both targets', async () => {
    const firsts = new Map<string, number>();
    for (let round = 0; round < 60; round += 1) {
      const [first] = await resolve('weighted.test');
      firsts.set(first?.address ?? 'none', (firsts.get(first?.address ?? 'none') ?? 0) + 1);
    }
    // With weights 50/50 the chance that one target is never first in 60 rounds is 2^-59.
    expect([...firsts.keys()].sort()).toStrictEqual(['192.0.2.51', '192.0.2.52']);
  });

  it('falls back to A/AAAA on port 5060 when there is no SRV record', async () => {
    expect(await resolve('v4only.test')).toStrictEqual([{ address: '192.0.2.11', port: 5060, family: 4 }]);
    expect(server.queriesFor('_sip._udp.v4only.test')).toHaveLength(1);
  });

  it('rejects NXDOMAIN with a SipResolveError naming the host', async () => {
    const error = await resolve('nowhere.test').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SipResolveError);
    expect((error as SipResolveError).code).toBe('SIP_RESOLVE');
    expect((error as SipResolveError).host).toBe('nowhere.test');
    expect((error as SipResolveError).message).toContain('"nowhere.test"');
    expect((error as SipResolveError).message).toContain('ENOTFOUND');
  });

  it('rejects an SRV set whose targets have no address, naming the host', async () => {
    await expect(resolve('broken.test')).rejects.toThrow(/"broken\.test".*gone\.broken\.test/);
  });

  it('rejects a "." SRV target: the domain offers no SIP service', async () => {
    await expect(resolve('none.test')).rejects.toThrow(/"none\.test".*not available/);
  });

  it('asks the operating system (/etc/hosts) only when told to', async () => {
    await expect(resolve('localhost:5070')).rejects.toBeInstanceOf(SipResolveError);
    const targets = await resolveSipTarget('localhost:5070', 'udp', { resolver, systemLookup: true });
    expect(targets[0]).toStrictEqual({ address: '127.0.0.1', port: 5070, family: 4 });
  });

  it('rejects text that is not a target', async () => {
    await expect(resolve('a b:5060')).rejects.toBeInstanceOf(SipResolveError);
    await expect(resolve('host.test:70000')).rejects.toThrow(/70000/);
    expect(server.queries).toStrictEqual([]);
  });
});

describe('SipTargetCache', () => {
  let now = 0;
  const clock = { now: () => now };

  beforeEach(() => {
    now = 1_000;
  });

  it('reuses an answer within the TTL and asks again after it', async () => {
    const cache = new SipTargetCache({ resolver, clock, ttlMs: 60_000 });
    const first = await cache.resolve('plain.test:5060', 'udp');
    expect(server.queriesFor('plain.test')).toHaveLength(2);

    now += 59_999;
    server.setRecords({ ...RECORDS, 'plain.test': { A: ['192.0.2.200'] } });
    expect(await cache.resolve('plain.test:5060', 'udp')).toStrictEqual(first);
    expect(server.queriesFor('plain.test')).toHaveLength(2);

    now += 1;
    expect(await cache.resolve('plain.test:5060', 'udp')).toStrictEqual([
      { address: '192.0.2.200', port: 5060, family: 4 },
    ]);
    expect(server.queriesFor('plain.test')).toHaveLength(4);
  });

  it('shares one lookup between concurrent callers of the same target', async () => {
    const cache = new SipTargetCache({ resolver, clock });
    const results = await Promise.all([
      cache.resolve('srv.test', 'udp'),
      cache.resolve('srv.test', 'udp'),
      cache.resolve('srv.test', 'udp'),
    ]);
    expect(results[1]).toStrictEqual(results[0]);
    expect(results[2]).toStrictEqual(results[0]);
    expect(server.queriesFor('_sip._udp.srv.test')).toHaveLength(1);
    // The transport is part of the key.
    await cache.resolve('srv.test', 'tcp');
    expect(server.queriesFor('_sip._tcp.srv.test')).toHaveLength(1);
  });

  it('still spreads SRV weights when the answer comes from the cache', async () => {
    const cache = new SipTargetCache({ resolver, clock });
    const firsts = new Set<string>();
    for (let round = 0; round < 60; round += 1)
      firsts.add((await cache.resolve('weighted.test', 'udp'))[0]?.address ?? '');
    expect([...firsts].sort()).toStrictEqual(['192.0.2.51', '192.0.2.52']);
    expect(server.queriesFor('_sip._udp.weighted.test')).toHaveLength(1);
  });

  it('does not cache failures', async () => {
    const cache = new SipTargetCache({ resolver, clock });
    await expect(cache.resolve('late.test:5060', 'udp')).rejects.toBeInstanceOf(SipResolveError);
    server.setRecords({ ...RECORDS, 'late.test': { A: ['192.0.2.77'] } });
    expect(await cache.resolve('late.test:5060', 'udp')).toStrictEqual([
      { address: '192.0.2.77', port: 5060, family: 4 },
    ]);
  });
});
