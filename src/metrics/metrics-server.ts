import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HostAndPort } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { MetricsListenError } from './metrics-listen-error.js';

export interface MetricsServerOptions {
  readonly registry: Registry;
  /** Port 0 takes a free port (read it back from `address`). */
  readonly listen: HostAndPort;
  readonly logger: Logger;
}

/**
 * `GET /metrics` on a bare node:http server: a worker has no web framework, and a scrape must not
 * depend on anything but the registry. Everything else is 404.
 */
export class MetricsServer {
  readonly #server: Server;
  #closing: Promise<void> | undefined;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(options: MetricsServerOptions): Promise<MetricsServer> {
    const { registry, logger } = options;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => {
          logger.warn({ err: error }, 'metrics collection failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    // Scrapers keep connections open; close() must not wait for them.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new MetricsListenError(
            `cannot serve metrics on ${options.listen.host}:${options.listen.port}: ${error.message}`,
            { cause: error },
          ),
        );
      server.once('error', onError);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => logger.warn({ err: error }, 'metrics server error'));
    const metrics = new MetricsServer(server);
    logger.info({ metrics: metrics.url }, 'metrics served');
    return metrics;
  }

  get address(): HostAndPort {
    const address = this.#server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** `http://host:port/metrics`. */
  get url(): string {
    const { host, port } = this.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  }

  /** Stops listening and drops idle keep-alive connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
    return this.#closing;
  }
}
