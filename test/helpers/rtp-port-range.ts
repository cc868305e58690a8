import { randomInt } from 'node:crypto';
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { udpPortsAreFree } from './free-port.js';

/** An RTP port range of a test worker: `first` even, `last` = `first` + 19. */
export interface RtpPortRange {
  readonly first: number;
  readonly last: number;
}

const FIRST_PORT = 30_000;
const RANGE_SIZE = 20;
const SLOTS = 1_400;
/** How long a claimed range stays out of other tests' reach; no test keeps a worker that long. */
const LEASE_MS = 15 * 60_000;
const SLOT_DIR = join(tmpdir(), 'sip-dialer-test-rtp-ranges');

let swept = false;

/**
 * A range of 20 RTP ports that no other test on this machine is given for the next 15 minutes,
 * and that nothing held when it was handed out.
 *
 * Ranges used to be drawn at random, and two workers (two test files running side by side, or two
 * test runs at once) sometimes drew the same one: the second worker's start then failed with
 * MEDIA_PORT_POOL, every pair EADDRINUSE. A range is claimed by creating its slot file with
 * O_EXCL, which is atomic across processes. The file's name carries the lease window it was made
 * in, and a claim takes its window and the next one, so a claim made at the end of a window still
 * holds a full window later. Old files are removed once per process.
 */
export async function reserveRtpRange(): Promise<RtpPortRange> {
  await mkdir(SLOT_DIR, { recursive: true });
  const window = Math.floor(Date.now() / LEASE_MS);
  if (!swept) {
    swept = true;
    await removeClaimsBefore(window);
  }
  const start = randomInt(SLOTS);
  for (let i = 0; i < SLOTS; i++) {
    const slot = (start + i) % SLOTS;
    if (!(await claim(slot, window))) continue;
    const first = FIRST_PORT + slot * RANGE_SIZE;
    const last = first + RANGE_SIZE - 1;
    // The range overlaps the kernel's ephemeral ports, and other tests bind RTP pools of their own.
    if (await udpPortsAreFree(first, last)) return { first, last };
  }
  throw new Error(
    `no RTP range of ${RANGE_SIZE} ports free in ${FIRST_PORT}-${FIRST_PORT + SLOTS * RANGE_SIZE - 1}`,
  );
}

async function claim(slot: number, window: number): Promise<boolean> {
  for (const w of [window, window + 1]) {
    try {
      await writeFile(join(SLOT_DIR, `${slot}.${w}`), String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }
  return true;
}

async function removeClaimsBefore(window: number): Promise<void> {
  for (const name of await readdir(SLOT_DIR)) {
    const claimed = Number(name.split('.')[1]);
    if (Number.isInteger(claimed) && claimed < window) await unlink(join(SLOT_DIR, name)).catch(() => {});
  }
}
