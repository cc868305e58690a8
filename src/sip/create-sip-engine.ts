import { readFileSync } from 'node:fs';
import type { DialerConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { DrachtioSipEngine } from './drachtio/drachtio-engine.js';
import { drachtioTlsUnsupported } from './drachtio/drachtio-tls-unsupported.js';
import { EmbeddedSipEngine } from './embedded/embedded-engine.js';
import type { SipTraceSink } from './embedded/sip-trace.js';
import type { SipEngine } from './engine.js';
import { EngineUnavailableError } from './engine-unavailable-error.js';

export interface CreateSipEngineOptions {
  readonly logger: Logger;
  /** Overrides `sip.listen` (a probe next to a running worker needs its own port); no TLS listener then. */
  readonly listen?: { host: string; port: number };
  readonly trace?: SipTraceSink;
}

/** The engine the config names, built from its `sip` section. */
export function createSipEngine(config: DialerConfig, options: CreateSipEngineOptions): SipEngine {
  if (config.engine === 'drachtio') {
    const { drachtio } = config;
    if (drachtio === undefined) {
      // parseConfig refuses this; a hand-built config can still get here.
      throw new EngineUnavailableError(
        'engine "drachtio" needs a drachtio section (host, port, secret) or DRACHTIO_URL',
      );
    }
    // At start, not at the first call: a worker that cannot dial its trunk should not come up.
    const tlsTrunk = config.trunks.find((trunk) => trunk.transport === 'tls' || trunk.sips === true);
    if (tlsTrunk && drachtio.tls !== 'server') throw drachtioTlsUnsupported(`trunks.${tlsTrunk.name}`);
    // sip.listen is drachtio-server's business (its <sip><contacts>), so it is not used here.
    return new DrachtioSipEngine({
      host: drachtio.host,
      port: drachtio.port,
      secret: drachtio.secret,
      tls: drachtio.tls,
      transport: config.sip.transport,
      userAgent: config.sip.userAgent,
      t1Ms: config.sip.timers.t1Ms,
      logger: options.logger,
    });
  }
  return new EmbeddedSipEngine({
    listen: options.listen ?? config.sip.listen,
    transport: config.sip.transport,
    ...(config.sip.publicAddress !== undefined ? { publicAddress: config.sip.publicAddress } : {}),
    userAgent: config.sip.userAgent,
    timers: { t1: config.sip.timers.t1Ms, t2: config.sip.timers.t2Ms, t4: config.sip.timers.t4Ms },
    sessionExpiresSec: config.sip.sessionExpiresSec,
    nat: config.sip.nat,
    keepAliveMs: config.sip.keepAliveMs,
    tcpLimits: config.sip.tcp,
    tlsKeepAlive: { intervalMs: config.sip.tls.keepAliveMs, timeoutMs: config.sip.tls.keepAliveTimeoutMs },
    // A probe beside a running worker (its own listen) would find the worker's TLS port taken.
    ...(config.sip.tls.server !== undefined && options.listen === undefined
      ? {
          // Read here, once: the config holds paths (checked usable when it was loaded), never the key.
          tlsServer: {
            port: config.sip.tls.server.port,
            cert: readFileSync(config.sip.tls.server.certPath),
            key: readFileSync(config.sip.tls.server.keyPath),
          },
        }
      : {}),
    logger: options.logger,
    ...(options.trace ? { trace: options.trace } : {}),
  });
}
