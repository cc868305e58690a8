import type { DialerConfig } from '../config/config-schema.js';
import type { Logger } from '../log/create-logger.js';
import { EmbeddedSipEngine } from './embedded/embedded-engine.js';
import type { SipTraceSink } from './embedded/sip-trace.js';
import type { SipEngine } from './engine.js';
import { EngineUnavailableError } from './engine-unavailable-error.js';

export interface CreateSipEngineOptions {
  readonly logger: Logger;
  /** Overrides `sip.listen` (a probe next to a running worker needs its own port). */
  readonly listen?: { host: string; port: number };
  readonly trace?: SipTraceSink;
}

/** The engine the config names, built from its `sip` section. */
export function createSipEngine(config: DialerConfig, options: CreateSipEngineOptions): SipEngine {
  if (config.engine === 'drachtio') {
    throw new EngineUnavailableError('engine "drachtio" is not available yet: set engine: embedded');
  }
  return new EmbeddedSipEngine({
    listen: options.listen ?? config.sip.listen,
    transport: config.sip.transport,
    ...(config.sip.publicAddress !== undefined ? { publicAddress: config.sip.publicAddress } : {}),
    userAgent: config.sip.userAgent,
    timers: { t1: config.sip.timers.t1Ms, t2: config.sip.timers.t2Ms, t4: config.sip.timers.t4Ms },
    logger: options.logger,
    ...(options.trace ? { trace: options.trace } : {}),
  });
}
