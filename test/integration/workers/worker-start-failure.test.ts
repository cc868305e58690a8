import dgram from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { spawnWorkerProcess, writeConfigFile, type WorkerProcess } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');

// Far above a failed start on a loaded machine (tsx start-up included), far below "runs until signalled".
const EXIT_DEADLINE_MS = 30_000;

const held: dgram.Socket[] = [];

function bindUdp(port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => {
      held.push(socket);
      resolve(socket);
    });
  });
}

function releaseAll(): void {
  for (const socket of held.splice(0)) socket.close();
}

/** An even RTP/RTCP pair this process now holds, so nobody else can bind it. */
async function takeRtpPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 40000 + 2 * Math.floor(Math.random() * 10000);
    const rtp = await bindUdp(port);
    if (!rtp) continue;
    if (await bindUdp(port + 1)) return port;
    held.splice(held.indexOf(rtp), 1);
    rtp.close();
  }
  throw new Error('no free RTP pair to take');
}

async function exitOf(worker: WorkerProcess): Promise<{ code: number | null } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    worker.exited,
    new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), EXIT_DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  if (result === 'still running') worker.kill('SIGKILL');
  return result;
}

describe('a worker whose start fails exits non-zero with one clear error', () => {
  it('RTP ports taken: MEDIA_PORT_POOL', async () => {
    try {
      const port = await takeRtpPair();
      const { yaml } = await workerConfig({ redisUrl, carrier: '127.0.0.1:9' });
      const file = await writeConfigFile(yaml.replace(/ports: \d+-\d+/, `ports: ${port}-${port + 1}`));
      const worker = spawnWorkerProcess(file);
      const exit = await exitOf(worker);
      const output = worker.lines.join('\n');
      expect(exit, output).not.toBe('still running');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(worker.lines.filter((l) => l.includes('[MEDIA_PORT_POOL]'))).toHaveLength(1);
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      releaseAll();
    }
  }, 60_000);

  it('SIP listen port taken: SIP_TRANSPORT', async () => {
    try {
      const { yaml } = await workerConfig({ redisUrl, carrier: '127.0.0.1:9' });
      const sipPort = Number(/listen: 127\.0\.0\.1:(\d+)/.exec(yaml)?.[1]);
      expect(await bindUdp(sipPort)).toBeDefined();
      const worker = spawnWorkerProcess(await writeConfigFile(yaml));
      const exit = await exitOf(worker);
      const output = worker.lines.join('\n');
      expect(exit, output).not.toBe('still running');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(worker.lines.filter((l) => l.includes('[SIP_TRANSPORT]'))).toHaveLength(1);
      expect(output).toContain(String(sipPort));
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      releaseAll();
    }
  }, 60_000);

  it('metrics port taken: METRICS_LISTEN, after the trunks and the engine were up', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const { yaml } = await workerConfig({
        redisUrl,
        carrier: '127.0.0.1:9',
        extra: `metrics: { listen: 127.0.0.1:${port} }`,
      });
      const worker = spawnWorkerProcess(await writeConfigFile(yaml));
      const exit = await exitOf(worker);
      const output = worker.lines.join('\n');
      expect(exit, output).not.toBe('still running');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(worker.lines.filter((l) => l.includes('[METRICS_LISTEN]'))).toHaveLength(1);
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
