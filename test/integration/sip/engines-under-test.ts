import { parseDrachtioUrl } from '../../../src/config/parse-drachtio-url.js';
import { DrachtioSipEngine } from '../../../src/sip/drachtio/drachtio-engine.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import type { Logger } from '../../../src/log/index.js';
import type { SipEngine } from '../../../src/sip/engine.js';
import type { SipTraceEntry } from '../../../src/sip/embedded/sip-trace.js';

/** One engine the conformance suite runs against. */
export interface EngineUnderTest {
  readonly name: 'embedded' | 'drachtio';
  /** Why the suite is skipped for this engine, if it is. */
  readonly skip?: string;
  create(options: {
    transport: 'udp' | 'tcp';
    t1Ms?: number;
    trace?: (entry: SipTraceEntry) => void;
    /** What the engine logs; silent when absent. */
    logger?: Logger;
  }): Promise<SipEngine>;
}

export const embeddedEngine: EngineUnderTest = {
  name: 'embedded',
  async create(options) {
    const engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      transport: options.transport,
      ...(options.t1Ms !== undefined
        ? { timers: { t1: options.t1Ms, t2: Math.max(options.t1Ms * 8, 400), t4: options.t1Ms * 10 } }
        : {}),
      ...(options.trace ? { trace: options.trace } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    await engine.start();
    return engine;
  },
};

const drachtioUrl = process.env['DRACHTIO_URL'];
const drachtio = drachtioUrl ? parseDrachtioUrl(drachtioUrl) : undefined;
const drachtioSkip =
  drachtioUrl === undefined || drachtioUrl === ''
    ? 'DRACHTIO_URL is not set: no drachtio-server to run against (see `npm run test:drachtio`)'
    : drachtio === undefined
      ? 'DRACHTIO_URL is not of the form drachtio://:SECRET@HOST:PORT'
      : undefined;

/**
 * drachtio-server carries the wire: SIP timers (T1, retransmissions) are its own configuration,
 * and no per-message trace reaches this process, so `t1Ms` only bounds how long the engine waits
 * and `trace` is not called.
 */
export const drachtioEngine: EngineUnderTest = {
  name: 'drachtio',
  ...(drachtioSkip !== undefined ? { skip: drachtioSkip } : {}),
  async create(options) {
    if (drachtio === undefined) throw new Error(drachtioSkip);
    const engine = new DrachtioSipEngine({
      ...drachtio,
      transport: options.transport,
      ...(options.t1Ms !== undefined ? { t1Ms: options.t1Ms } : {}),
      connectTimeoutMs: 5000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    await engine.start();
    return engine;
  },
};

if (drachtioSkip !== undefined) {
  // Said once per test file that imports this, so a skipped engine is never mistaken for a pass.
  console.warn(`SIP engine conformance: drachtio engine SKIPPED: ${drachtioSkip}`);
}

/** Every engine the suite knows; drachtio runs when DRACHTIO_URL names a running server. */
export const enginesUnderTest: readonly EngineUnderTest[] = [embeddedEngine, drachtioEngine];
