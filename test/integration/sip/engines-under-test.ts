import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import type { SipEngine } from '../../../src/sip/engine.js';
import type { SipTraceEntry } from '../../../src/sip/embedded/sip-trace.js';

/** One engine the conformance suite runs against. */
export interface EngineUnderTest {
  readonly name: string;
  /** Why the suite is skipped for this engine, if it is. */
  readonly skip?: string;
  create(options: {
    transport: 'udp' | 'tcp';
    t1Ms?: number;
    trace?: (entry: SipTraceEntry) => void;
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
    });
    await engine.start();
    return engine;
  },
};

/** Every engine the suite knows; drachtio joins when DRACHTIO_URL names a running server. */
export const enginesUnderTest: readonly EngineUnderTest[] = [embeddedEngine];
