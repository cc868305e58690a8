import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/create-logger.js';
import { checkRedisDurability } from '../../../src/workers/check-redis-durability.js';
import { OwnRedis } from '../../helpers/own-redis.js';

/** A logger whose JSON lines land in an array. */
function capturingLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: Array<{ level: number; msg: string }>;
} {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('the Redis persistence the fence needs, checked at start', () => {
  for (const [settings, level, warns] of [
    [{ appendfsync: 'always' }, 'always', false],
    [{ appendfsync: 'everysec' }, 'everysec', true],
    [{ appendonly: false }, 'no-aof', true],
  ] as const) {
    it(`${JSON.stringify(settings)}: ${level}${warns ? ', with a warning' : ''}`, async () => {
      const server = await OwnRedis.start(settings);
      const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
      try {
        const { logger, lines } = capturingLogger();
        const found = await checkRedisDurability(redis, logger);
        expect(found.level).toBe(level);
        await new Promise((r) => setImmediate(r));
        const warned = lines.filter((l) => l.level === 40);
        expect(warned.length > 0).toBe(warns);
        if (warns) expect(warned[0]?.msg).toMatch(/appendfsync always/);
      } finally {
        redis.disconnect();
        await server.stop();
      }
    });
  }
});
