import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiConfig } from '../config/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The Node HTTP server under fastify, with the `api.*Timeout` limits, so a client that trickles
 * its headers or body (or sends nothing) loses its socket instead of holding it forever.
 */
export function createHttpServer(api: ApiConfig, handler: Handler): Server {
  const server = createServer(
    {
      requestTimeout: api.requestTimeoutMs,
      // Node refuses a headers timeout above the request timeout.
      headersTimeout: Math.min(api.headersTimeoutMs, api.requestTimeoutMs),
      keepAliveTimeout: api.keepAliveTimeoutMs,
      // Node checks the request and headers timeouts on this tick (30 s by default), so a short
      // timeout would otherwise fire up to 30 s late.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1_000, Math.floor(Math.min(api.requestTimeoutMs, api.headersTimeoutMs) / 2)),
      ),
    },
    handler,
  );
  server.setTimeout(api.idleTimeoutMs);
  return server;
}
