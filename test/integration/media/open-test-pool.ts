import { randomInt } from 'node:crypto';
import { RtpPortPool } from '../../../src/media/index.js';

/**
 * A pool of exactly `pairs` RTP/RTCP pairs on 127.0.0.1 in a random range of 40000-60000; ranges
 * with a port some other process holds are dropped and another one is tried.
 */
export async function openTestPool(pairs: number): Promise<RtpPortPool> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const minPort = 40000 + 2 * randomInt(0, (20000 - 2 * pairs) / 2);
    const pool = await RtpPortPool.open({
      address: '127.0.0.1',
      minPort,
      maxPort: minPort + 2 * pairs - 1,
    }).catch(() => undefined);
    if (pool === undefined) continue;
    if (pool.size === pairs) return pool;
    await pool.close();
  }
  throw new Error(`no free range of ${pairs} RTP pairs found`);
}
