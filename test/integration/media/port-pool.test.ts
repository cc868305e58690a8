import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  PortPoolError,
  PortPoolExhaustedError,
  RtpPortPool,
  type RtpPortLease,
  type RtpPortPoolOptions,
} from '../../../src/media/index.js';

const ADDRESS = '127.0.0.1';
const opened: RtpPortPool[] = [];
const strays: dgram.Socket[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  await Promise.all(strays.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A random even-aligned range in 40000-60000 with `pairs` RTP/RTCP pairs. */
function randomRange(pairs: number): { minPort: number; maxPort: number } {
  const minPort = 40000 + 2 * randomInt(0, (20000 - 2 * pairs) / 2);
  return { minPort, maxPort: minPort + 2 * pairs - 1 };
}

/**
 * Opens a pool of exactly `pairs` pairs: ports here are shared with other processes (the range
 * overlaps the ephemeral ports), so a range with a taken port is dropped and another one tried.
 */
async function openPool(
  pairs: number,
  extra: Partial<RtpPortPoolOptions> = {},
): Promise<{ pool: RtpPortPool; minPort: number; maxPort: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const range = randomRange(pairs);
    const pool = await RtpPortPool.open({ address: ADDRESS, ...range, ...extra }).catch(() => undefined);
    if (pool === undefined) continue;
    if (pool.size === pairs) {
      opened.push(pool);
      return { pool, ...range };
    }
    await pool.close();
  }
  throw new Error(`no free range of ${pairs} pairs found`);
}

function bindStray(port: number, address = ADDRESS): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      strays.push(socket);
      resolve(socket);
    });
  });
}

function leaseAll(pool: RtpPortPool): RtpPortLease[] {
  const leases: RtpPortLease[] = [];
  while (pool.free > 0) leases.push(pool.lease());
  return leases;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('RtpPortPool', () => {
  it('binds every even/odd pair of the range and counts them', async () => {
    const { pool, minPort, maxPort } = await openPool(8);
    expect([pool.size, pool.free, pool.leased]).toEqual([8, 8, 0]);

    const leases = leaseAll(pool);
    expect([pool.size, pool.free, pool.leased]).toEqual([8, 0, 8]);
    const ports = leases.map((l) => l.rtpPort).sort((a, b) => a - b);
    expect(ports).toEqual(Array.from({ length: 8 }, (_, i) => minPort + 2 * i));
    for (const lease of leases) {
      expect(lease.rtpPort % 2).toBe(0);
      expect(lease.rtcpPort).toBe(lease.rtpPort + 1);
      expect(lease.rtcpPort).toBeLessThanOrEqual(maxPort);
      expect(lease.address).toBe(ADDRESS);
      expect(lease.rtpSocket.address()).toMatchObject({ address: ADDRESS, port: lease.rtpPort });
      expect(lease.rtcpSocket?.address()).toMatchObject({ address: ADDRESS, port: lease.rtcpPort });
    }
  });

  it('starts at the first even port of an odd minPort and never binds past maxPort', async () => {
    const { minPort } = randomRange(4);
    // 5 pairs' worth of ports, shifted by one: odd min, even max. Only 4 full pairs fit.
    const pool = await RtpPortPool.open({ address: ADDRESS, minPort: minPort + 1, maxPort: minPort + 10 });
    opened.push(pool);
    const ports = leaseAll(pool).map((l) => l.rtpPort);
    expect(ports.every((p) => p % 2 === 0 && p >= minPort + 2 && p + 1 <= minPort + 10)).toBe(true);
    expect(pool.size).toBeLessThanOrEqual(4);
  });

  it('with rtcp: false binds only the even ports', async () => {
    const { pool, minPort } = await openPool(3, { rtcp: false });
    const leases = leaseAll(pool);
    for (const lease of leases) {
      expect(lease.rtcpPort).toBeUndefined();
      expect(lease.rtcpSocket).toBeUndefined();
    }
    // The odd ports stay free for anyone.
    await bindStray(minPort + 1);
  });

  it('throws PortPoolExhaustedError when every pair is leased, and a release makes one leasable again', async () => {
    const { pool } = await openPool(3);
    const leases = leaseAll(pool);
    const err = catchError(() => pool.lease());
    expect(err).toBeInstanceOf(PortPoolExhaustedError);
    expect((err as PortPoolExhaustedError).code).toBe('MEDIA_PORTS_EXHAUSTED');
    expect((err as Error).message).toContain('3');

    leases[1]?.release();
    expect([pool.free, pool.leased]).toEqual([1, 2]);
    expect(pool.lease().rtpPort).toBe(leases[1]?.rtpPort);
    expect(() => pool.lease()).toThrow(PortPoolExhaustedError);
  });

  it('release twice is harmless, even after the pair went to another call', async () => {
    const { pool } = await openPool(2);
    const first = pool.lease();
    first.release();
    first.release();
    expect([pool.free, pool.leased]).toEqual([2, 0]);

    const a = pool.lease();
    const b = pool.lease();
    const again = [a, b].find((l) => l.rtpPort === first.rtpPort);
    expect(again).toBeDefined();
    first.release(); // a stale handle must not free the new call's pair
    expect([pool.free, pool.leased]).toEqual([0, 2]);
    expect(() => pool.lease()).toThrow(PortPoolExhaustedError);
  });

  it('hands out the least recently released pair first', async () => {
    const { pool } = await openPool(4);
    const [a, b, c, d] = leaseAll(pool) as [RtpPortLease, RtpPortLease, RtpPortLease, RtpPortLease];
    for (const lease of [c, a, d, b]) lease.release();
    const order = [pool.lease(), pool.lease(), pool.lease(), pool.lease()].map((l) => l.rtpPort);
    expect(order).toEqual([c.rtpPort, a.rtpPort, d.rtpPort, b.rtpPort]);
  });

  it('skips a port someone else holds, warning once with the count', async () => {
    const { pool: probe, minPort, maxPort } = await openPool(6);
    await probe.close();
    const taken = [minPort + 4, minPort + 9]; // the RTP port of pair 2, the RTCP port of pair 4
    for (const port of taken) await bindStray(port);

    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => lines.push(line) },
    });
    const pool = await RtpPortPool.open({ address: ADDRESS, minPort, maxPort, logger });
    opened.push(pool);

    expect(pool.size).toBe(4);
    const rtpPorts = leaseAll(pool).map((l) => l.rtpPort);
    expect(rtpPorts).not.toContain(minPort + 4);
    expect(rtpPorts).not.toContain(minPort + 8);
    // The even half of the pair whose odd port was taken must not stay bound.
    await bindStray(minPort + 8);

    const warnings = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['level'] === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ skipped: 2, reasons: { EADDRINUSE: 2 } });
  });

  it('fails with PortPoolError naming the range when no pair can be bound', async () => {
    const { pool: probe, minPort, maxPort } = await openPool(2);
    await probe.close();
    await bindStray(minPort);
    await bindStray(minPort + 3);
    const err = await RtpPortPool.open({ address: ADDRESS, minPort, maxPort }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortPoolError);
    expect((err as PortPoolError).code).toBe('MEDIA_PORT_POOL');
    expect((err as Error).message).toContain(`${ADDRESS}:${minPort}-${maxPort}`);
    // Nothing of the range stays bound after the failure.
    await bindStray(minPort + 1);
    await bindStray(minPort + 2);
  });

  it.each([
    [{ minPort: 40001, maxPort: 40001 }, '40001-40001'],
    [{ minPort: 40000, maxPort: 40000 }, '40000-40000'],
    [{ minPort: 40010, maxPort: 40000 }, 'minPort 40010'],
    [{ minPort: 0, maxPort: 40000 }, 'minPort'],
    [{ minPort: 40000, maxPort: 70000 }, 'maxPort'],
    [{ minPort: 40000.5, maxPort: 40010 }, 'minPort'],
    [{ address: 'localhost' }, 'localhost'],
  ])('rejects invalid options %j', async (bad, named) => {
    const options = { address: ADDRESS, minPort: 40000, maxPort: 40010, ...bad };
    const err = await RtpPortPool.open(options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortPoolError);
    expect((err as PortPoolError).code).toBe('MEDIA_PORT_POOL');
    expect((err as Error).message).toContain(named);
  });

  it('a bind error other than "port taken" fails the open with the cause', async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this host.
    const err = await RtpPortPool.open({ address: '192.0.2.1', minPort: 40000, maxPort: 40003 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PortPoolError);
    expect((err as Error).message).toContain('EADDRNOTAVAIL');
  });

  it('a leased socket receives a datagram sent to its port', async () => {
    const { pool } = await openPool(2);
    const lease = pool.lease();
    const sender = dgram.createSocket('udp4');
    strays.push(sender);

    const rtp = once(lease.rtpSocket, 'message');
    sender.send(Buffer.from('rtp'), lease.rtpPort, ADDRESS);
    const [rtpMsg] = (await rtp) as [Buffer];
    expect(rtpMsg.toString()).toBe('rtp');

    const rtcp = once(lease.rtcpSocket as dgram.Socket, 'message');
    sender.send(Buffer.from('rtcp'), lease.rtcpPort as number, ADDRESS);
    const [rtcpMsg] = (await rtcp) as [Buffer];
    expect(rtcpMsg.toString()).toBe('rtcp');
  });

  it('works on IPv6', async () => {
    const { minPort, maxPort } = randomRange(2);
    const pool = await RtpPortPool.open({ address: '::1', minPort, maxPort });
    opened.push(pool);
    const lease = pool.lease();
    expect(lease.address).toBe('::1');
    expect(lease.rtpSocket.address().family).toBe('IPv6');
  });

  it('removes the listeners a call added, and undoes its connect(), on release', async () => {
    const { pool } = await openPool(1);
    const lease = pool.lease();
    const baseline = {
      rtp: lease.rtpSocket.eventNames().map((e) => [e, lease.rtpSocket.listenerCount(e)]),
      rtcp: lease.rtcpSocket?.eventNames().map((e) => [e, lease.rtcpSocket?.listenerCount(e)]),
    };
    let received = 0;
    lease.rtpSocket.on('message', () => received++);
    lease.rtpSocket.once('message', () => received++);
    lease.rtpSocket.on('error', () => undefined);
    lease.rtpSocket.on('listening', () => undefined);
    lease.rtcpSocket?.on('message', () => received++);
    const peer = dgram.createSocket('udp4');
    strays.push(peer);
    await new Promise<void>((resolve) => peer.bind(0, ADDRESS, resolve));
    lease.rtpSocket.connect(peer.address().port, ADDRESS);
    await once(lease.rtpSocket, 'connect');
    expect(lease.rtpSocket.listenerCount('message')).toBe(2);

    lease.release();
    expect(lease.rtpSocket.eventNames().map((e) => [e, lease.rtpSocket.listenerCount(e)])).toEqual(
      baseline.rtp,
    );
    expect(lease.rtcpSocket?.eventNames().map((e) => [e, lease.rtcpSocket?.listenerCount(e)])).toEqual(
      baseline.rtcp,
    );
    expect(() => lease.rtpSocket.remoteAddress()).toThrow();

    // The next call hears nothing through the old call's handlers, and can be reached from anywhere.
    const next = pool.lease();
    expect(next.rtpSocket).toBe(lease.rtpSocket);
    const got = once(next.rtpSocket, 'message');
    const sender = dgram.createSocket('udp4');
    strays.push(sender);
    sender.send(Buffer.from('x'), next.rtpPort, ADDRESS);
    await got;
    expect(received).toBe(0);
    // The pool's own 'error' listener survives, so a socket error cannot crash the worker.
    expect(next.rtpSocket.listenerCount('error')).toBe(1);
  });

  it('restores its own listeners when a call removed all of them', async () => {
    const { pool } = await openPool(1);
    const lease = pool.lease();
    const before = lease.rtpSocket.listenerCount('error');
    lease.rtpSocket.removeAllListeners();
    lease.release();
    expect(lease.rtpSocket.listenerCount('error')).toBe(before);
    expect(() => lease.rtpSocket.emit('error', new Error('boom'))).not.toThrow();
  });

  it('drops a pair whose socket a call closed', async () => {
    const { pool } = await openPool(2);
    const lease = pool.lease();
    lease.rtpSocket.close();
    await once(lease.rtpSocket, 'close');
    expect([pool.size, pool.free, pool.leased]).toEqual([1, 1, 0]);
    lease.release();
    expect([pool.size, pool.free, pool.leased]).toEqual([1, 1, 0]);
    expect(pool.lease().rtpPort).not.toBe(lease.rtpPort);
    // Its partner was closed too, so the whole pair is free for others.
    await bindStray(lease.rtcpPort as number);
  });

  it('close() closes every socket, twice is harmless, and outstanding leases go dead', async () => {
    const { pool, minPort, maxPort } = await openPool(3);
    const lease = pool.lease();
    await Promise.all([pool.close(), pool.close()]);
    await pool.close();
    expect([pool.size, pool.free, pool.leased]).toEqual([0, 0, 0]);
    expect(() => lease.release()).not.toThrow();
    expect([pool.size, pool.free, pool.leased]).toEqual([0, 0, 0]);
    const err = catchError(() => pool.lease());
    expect(err).toBeInstanceOf(PortPoolError);
    expect((err as PortPoolError).code).toBe('MEDIA_PORT_POOL');
    for (let port = minPort; port <= maxPort; port++) await bindStray(port);
  });

  it('ends 10 000 lease/release cycles with every pair free and no listener left behind', async () => {
    const { pool } = await openPool(16);
    const sockets = leaseAll(pool).flatMap((l) => {
      l.release();
      return [l.rtpSocket, l.rtcpSocket as dgram.Socket];
    });
    const snapshot = (): string =>
      JSON.stringify(sockets.map((s) => s.eventNames().map((e) => [String(e), s.listenerCount(e)])));
    const baseline = snapshot();

    const placeCall = (lease: RtpPortLease, i: number): void => {
      try {
        if (i % 3 === 0) lease.rtpSocket.on('message', () => undefined);
        if (i % 5 === 0) lease.rtcpSocket?.once('message', () => undefined);
        if (i % 7 === 0) lease.rtpSocket.on('error', () => undefined);
        if (i % 11 === 0) throw new Error('call setup failed');
      } finally {
        lease.release();
        if (i % 13 === 0) lease.release();
      }
    };
    const held: RtpPortLease[] = [];
    let failures = 0;
    for (let i = 0; i < 10_000; i++) {
      const lease = pool.lease();
      if (i % 4 === 0) {
        // Some calls overlap: held a while, released later in a batch.
        held.push(lease);
        lease.rtpSocket.on('message', () => undefined);
        if (held.length === 8) held.splice(0).forEach((l) => l.release());
        continue;
      }
      try {
        placeCall(lease, i);
      } catch {
        failures++;
      }
    }
    held.splice(0).forEach((l) => l.release());

    expect(failures).toBeGreaterThan(0);
    expect([pool.size, pool.free, pool.leased]).toEqual([16, 16, 0]);
    expect(snapshot()).toBe(baseline);
  });
});
