import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { parseConfig } from '../../../src/config/load-config.js';
import type { DialerConfig } from '../../../src/config/config-schema.js';
import { createApiServer, type ApiServer, type MetricsSource } from '../../../src/api/index.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { freshRedis, type FreshRedis } from '../workers/fresh-redis.js';

export const TOKEN = 'test-token-0123456789-abcdef-SECRET';

export interface ApiFixture {
  readonly server: ApiServer;
  readonly config: DialerConfig;
  readonly redis: FreshRedis;
  /** JSON log lines the server wrote. */
  readonly logs: string[];
  /** A request with the right Bearer token (unless `headers.authorization` says otherwise). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** An API server over a fresh Redis prefix, one trunk `carrier` (BR), the token above. */
export async function apiFixture(
  options: {
    bodyLimit?: string;
    metrics?: MetricsSource;
    extraTrunk?: boolean;
    /** More `api:` keys, one `key: value` a line. */
    api?: readonly string[];
  } = {},
): Promise<ApiFixture> {
  const redis = freshRedis();
  const yaml = `redis: ${redis.url}
queuePrefix: "${redis.prefix}"
trunks:
  - name: carrier
    domain: carrier.test
    defaultCountry: BR
${options.extraTrunk ? '  - name: backup\n    domain: backup.test\n' : ''}api:
  token: \${API_TOKEN}
  bodyLimit: ${options.bodyLimit ?? '50MB'}
${(options.api ?? []).map((line) => `  ${line}\n`).join('')}`;
  const config = parseConfig(yaml, { API_TOKEN: TOKEN });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const server = await createApiServer({
    config,
    logger: createLogger({ level: 'debug', destination }),
    ...(options.metrics && { metrics: options.metrics }),
    // A free port: 8080 (the config default) may be anyone's on a shared machine.
    listen: { host: '127.0.0.1', port: 0 },
  });
  return {
    server,
    config,
    redis,
    logs,
    request: (o) =>
      server.app.inject({ ...o, headers: { authorization: `Bearer ${TOKEN}`, ...(o.headers ?? {}) } }),
    async close() {
      await server.close();
      await redis.cleanup();
    },
  };
}
