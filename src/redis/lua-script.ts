import { createHash } from 'node:crypto';
import type { RedisConnection } from './redis-connection.js';

/**
 * A Lua script run by its SHA1 (EVALSHA), falling back to EVAL once when the server does not
 * know it yet (first use, or after a Redis restart or SCRIPT FLUSH), which also caches it there.
 * Typed, unlike ioredis `defineCommand`, whose commands are invisible to the compiler.
 */
export class LuaScript {
  /** Every script made in this process, by SHA1: so a benchmark sampling MONITOR can name them. */
  static readonly #known = new Map<string, string>();

  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
    LuaScript.#known.set(this.sha, name);
  }

  /** The name of a script of ours by its SHA1; undefined for any other (BullMQ's, a stranger's). */
  static nameOf(sha: string): string | undefined {
    return LuaScript.#known.get(sha);
  }

  async run(
    redis: RedisConnection,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Lua prelude shared by the limiter and circuit scripts: `now` in milliseconds from the injected
 * clock (ARGV[1], when not empty) or from the Redis server's TIME, one clock for the whole fleet
 * whatever the workers' own clocks say. Redis >= 5 replicates script effects, so writing after
 * TIME is allowed.
 */
export const LUA_NOW = `
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
`;
