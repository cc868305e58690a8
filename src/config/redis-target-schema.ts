import * as z from 'zod';
import type { RedisTarget } from '../kernel/index.js';
import {
  duration,
  hostAndPort,
  number,
  optional,
  redisUrl,
  required,
  secretText,
  text,
  withDefault,
} from './config-fields.js';

const EXPECTED =
  'expected a redis:// or rediss:// URL, a Sentinel group { sentinels: [host:port, ...], name } ' +
  'or a cluster { cluster: [host:port, ...] }';

function nodeList(one: string, many: string) {
  return z
    .array(required(hostAndPort({ minPort: 1 })), { error: `expected a list of ${many} as host:port` })
    .min(1, `expected at least one ${one} (host:port)`)
    .max(64, `expected at most 64 ${many}`);
}

const username = optional(text({ maxLength: 255 }));

const sentinelSchema = z.strictObject({
  sentinels: nodeList('sentinel', 'sentinels'),
  name: required(text({ maxLength: 255, pattern: /^\S+$/, expected: 'a master group name without spaces' })),
  password: optional(secretText),
  username,
  sentinelPassword: optional(secretText),
  db: optional(number({ min: 0, max: 1_000_000, integer: true })),
  waitReplicas: withDefault(number({ min: 0, max: 16, integer: true }), 1),
  waitTimeout: withDefault(duration({ minMs: 1, maxMs: 60_000 }), '1s'),
});

const clusterSchema = z.strictObject({
  cluster: nodeList('cluster node', 'cluster nodes'),
  password: optional(secretText),
  username,
});

/**
 * The `redis:` key: a URL string, a Sentinel group or a cluster's seed list. The shape is picked
 * by its key (`sentinels` or `cluster`) and then checked strictly, so an issue names the inner
 * field (`redis.sentinels[1]`) rather than zod's "no union member matched".
 */
export function redisTarget(fallback: string) {
  return z
    .unknown()
    .optional()
    .transform((raw, ctx): RedisTarget => {
      const value = raw ?? fallback;
      if (typeof value === 'string') {
        const checked = redisUrl(value);
        if (checked.ok) return checked.value;
        ctx.addIssue({ code: 'custom', message: checked.problem });
        return z.NEVER;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        ctx.addIssue({ code: 'custom', message: EXPECTED });
        return z.NEVER;
      }
      const isSentinel = 'sentinels' in value;
      const isCluster = 'cluster' in value;
      if (isSentinel === isCluster) {
        ctx.addIssue({
          code: 'custom',
          message: isSentinel ? 'set either sentinels or cluster, not both' : EXPECTED,
        });
        return z.NEVER;
      }
      const parsed = (isSentinel ? sentinelSchema : clusterSchema).safeParse(value);
      if (!parsed.success) {
        // Re-raised with their inner paths; the config formatter adds the value found there.
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
        return z.NEVER;
      }
      if ('sentinels' in parsed.data) {
        const { waitTimeout, ...group } = parsed.data;
        return withoutUndefined({ ...group, waitTimeoutMs: waitTimeout });
      }
      return withoutUndefined(parsed.data);
    });
}

/** The parsed object without the optional keys left undefined, as the frozen config keeps them. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
