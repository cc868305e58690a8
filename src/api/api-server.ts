import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { LogController, fastify, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { DncList } from '../compliance/index.js';
import { ConfigError } from '../config/index.js';
import type { DialerConfig, HostAndPort, TrunkConfig } from '../config/index.js';
import { CampaignControl } from '../jobs/index.js';
import { CampaignStore, ImportRecovery } from '../jobs/index.js';
import { DialerClient } from '../jobs/index.js';
import { InvalidCampaignError } from '../jobs/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { createRedisConnection, RedisAvailability } from '../redis/index.js';
import type { ApiContext } from './api-context.js';
import { registerBearerAuth } from './bearer-auth.js';
import { registerAuditLog } from './audit-log-hook.js';
import { auditRoutes } from './audit-routes.js';
import { registerBullBoard } from './bull-board-routes.js';
import { registerCloseAfterDenial } from './close-after-denial.js';
import { consoleScriptRoutes } from './console-script-routes.js';
import { createHttpServer } from './create-http-server.js';
import { registerFailedLoginLimit } from './failed-login-limit.js';
import { registerSecurityHeaders } from './security-headers.js';
import { trunksRoutes } from './trunks-routes.js';
import { OutcomeWaiters } from './outcome-waiters.js';
import { registerRoleCheck } from './role-check.js';
import { callStoryRoutes } from './call-story-routes.js';
import { callsRoutes } from './calls-routes.js';
import { campaignCreateRoutes } from './campaign-create-routes.js';
import { campaignListRoutes } from './campaign-list-routes.js';
import { campaignPageRoutes } from './campaign-page-routes.js';
import { campaignsRoutes } from './campaigns-routes.js';
import { dncRoutes } from './dnc-routes.js';
import { healthRoutes } from './health-routes.js';
import { httpErrorResponse } from './http-error-response.js';
import { redactUrl } from './redact-url.js';
import { redisFault } from './redis-fault.js';
import { registerRedisGate } from './redis-gate.js';

/** What `/metrics` serves: a prom-client `Registry` fits as it is. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface ApiServerOptions {
  readonly config: DialerConfig;
  /** Request lines and errors; never the token. Default: silent. */
  readonly logger?: Logger;
  /** Serves `GET /metrics` (behind the token) when given. */
  readonly metrics?: MetricsSource;
  /** Where to listen instead of `config.api.listen` (tests use port 0). */
  readonly listen?: HostAndPort;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly client: DialerClient;
  readonly waiters: OutcomeWaiters;
  /** Starts listening; resolves with the base URL (`http://127.0.0.1:8080`). */
  listen(): Promise<string>;
  /** Stops taking requests, ends long polls, waits for requests in flight, closes Redis. Idempotent. */
  close(): Promise<void>;
}

/**
 * The HTTP API over the producer client, campaigns and DNC lists, with the OpenAPI document at
 * /docs, Bull Board at /admin/queues and the operator console (`/`, `/campaigns…`, `/calls…`, `/trunks`).
 * @throws ConfigError when neither `api.token` nor `api.tokens` is set.
 */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { config } = options;
  const tokens = config.api.tokens;
  if (tokens.length === 0) {
    throw new ConfigError([
      {
        path: 'api.tokens',
        message:
          'a token is required to serve the API (api.tokens, or api.token: ${API_TOKEN} for one admin)',
      },
    ]);
  }
  const logger = options.logger ?? silentLogger();
  // A bounded retry count: with Redis down, a request fails (503) instead of hanging.
  const redis = createRedisConnection(config.redis, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  const availability = new RedisAvailability(redis, config.redis);
  const client = new DialerClient({
    redis,
    redisUrl: config.redis,
    prefix: config.queuePrefix,
    trunks: config.trunks.map((t) => ({
      name: t.name,
      domain: t.domain,
      ...(t.defaultCountry && { defaultCountry: t.defaultCountry }),
      ...(t.callerId && { callerId: t.callerId }),
      ...(t.allowedCallerIds && { allowedCallerIds: t.allowedCallerIds }),
    })),
  });
  const store = new CampaignStore({ redis, keys: client.keys });
  const importRecovery = new ImportRecovery({ client, store, logger });
  const closing = new AbortController();
  const waiters = new OutcomeWaiters({ redis, keys: client.keys, maxWaiters: config.api.maxWaiters });
  const ctx: ApiContext = {
    config,
    client,
    store,
    control: new CampaignControl(client, store),
    dnc: new DncList({ redis, keys: client.keys }),
    waiters,
    closing: closing.signal,
    trunk: (name, field) => findTrunk(config, name, field),
  };

  const app = fastify({
    // Typed as the base logger so the instance is the plain FastifyInstance routes take.
    loggerInstance: logger as FastifyBaseLogger,
    // Logged by the onResponse hook below instead, with `?token=` cut out of the URL.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.api.bodyLimitBytes,
    // Frozen config arrays are copied: proxy-addr takes the list as its own.
    trustProxy:
      typeof config.api.trustProxy === 'boolean' ? config.api.trustProxy : [...config.api.trustProxy],
    serverFactory: (handler) => createHttpServer(config.api, handler),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        req: { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTimeMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
  app.setErrorHandler((error, request, reply) => {
    const fault = redisFault(error, availability);
    const { status, body } = httpErrorResponse(fault);
    if (body.error === 'REDIS_UNAVAILABLE') {
      // Not the error object: a refused AUTH carries the password it sent among its arguments.
      // The message is ours: where Redis is, password masked.
      const reason = fault instanceof Error ? fault.message : body.message;
      request.log.warn({ url: redactUrl(request.url), reason }, 'redis unavailable');
    } else if (status >= 500)
      request.log.error({ err: error, url: redactUrl(request.url) }, 'request failed');
    // The rest of an oversized upload is not worth reading.
    if (status === 413) reply.header('connection', 'close');
    if (body.error === 'TOO_MANY_WAITERS') reply.header('retry-after', '1');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', message: `no route ${request.method} ${redactUrl(request.url)}` }),
  );

  registerSecurityHeaders(app);
  registerCloseAfterDenial(app);
  registerFailedLoginLimit(app, config.api.maxFailedLogins);
  registerBearerAuth(app, tokens, { sessionTtlMs: config.api.sessionTtlMs });
  registerRoleCheck(app);
  registerAuditLog(app, { redis, stream: client.keys.audit, logger });
  registerRedisGate(app, availability);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'sip-dialer HTTP API',
        version: '1',
        description:
          'Enqueue calls, run campaigns, manage do-not-call lists, export results. Every route but /healthz and ' +
          '/readyz needs `Authorization: Bearer <api.token>`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes(redis));
  await app.register(callsRoutes(ctx));
  await app.register(campaignsRoutes(ctx));
  await app.register(dncRoutes(ctx));
  await app.register(consoleScriptRoutes());
  await app.register(campaignListRoutes(ctx));
  await app.register(campaignCreateRoutes(ctx));
  await app.register(campaignPageRoutes(ctx));
  await app.register(callStoryRoutes(ctx));
  await app.register(trunksRoutes(ctx));
  await app.register(auditRoutes(redis, client.keys.audit));
  await registerBullBoard(app, ctx, availability);
  const metrics = options.metrics;
  if (metrics !== undefined) {
    app.get(
      '/metrics',
      { schema: { summary: 'Prometheus metrics', tags: ['health'] } },
      async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
    );
  }
  await app.ready();
  importRecovery.start();

  let closed: Promise<void> | undefined;
  return {
    app,
    client,
    waiters,
    async listen() {
      const where = options.listen ?? config.api.listen;
      await app.listen({ host: where.host, port: where.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : where.port;
      const host = where.host.includes(':') ? `[${where.host}]` : where.host;
      return `http://${host}:${port}`;
    },
    close() {
      closed ??= (async () => {
        closing.abort(new Error('server closing'));
        await app.close();
        await importRecovery.close();
        await waiters.close();
        await client.close();
        availability.close();
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closed;
    },
  };
}

function findTrunk(config: DialerConfig, name: string | undefined, field: string): TrunkConfig {
  const trunk = name === undefined ? config.trunks[0] : config.trunks.find((t) => t.name === name);
  if (trunk === undefined) {
    throw new InvalidCampaignError(
      field,
      name,
      `not a trunk of the config (trunks: ${config.trunks.map((t) => t.name).join(', ')})`,
    );
  }
  return trunk;
}
