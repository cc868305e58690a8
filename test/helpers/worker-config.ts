import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../src/config/load-config.js';
import type { DialerConfig } from '../../src/config/config-schema.js';
import { freePortPair } from './free-port.js';
import { reserveRtpRange } from './rtp-port-range.js';

export interface WorkerConfigInput {
  readonly redisUrl: string;
  readonly carrier: string;
  /** YAML lines added to the trunk (indented 4 spaces). */
  readonly trunkExtra?: string;
  /** YAML added at the top level. */
  readonly extra?: string;
  readonly prefix?: string;
  /** Default: 50 calls per second, 10 channels (concurrency follows maxChannels). */
  readonly cps?: number;
  readonly maxChannels?: number;
  /** Extra keys of the media section, e.g. `{ prompts: /tmp/x, deadCallTimeout: 700ms }`. */
  readonly media?: Readonly<Record<string, string>>;
  /** Default: 10s. Campaign calls have no script yet, so an answered call lasts this long. */
  readonly maxCallLength?: string;
}

/** A worker config for a test: fresh queue prefix, free SIP port, an RTP range of its own, short retries. */
export async function workerConfig(
  input: WorkerConfigInput,
): Promise<{ config: DialerConfig; yaml: string; prefix: string }> {
  const prefix = input.prefix ?? `{t-${randomUUID().slice(0, 8)}}`;
  const sipPort = await freePortPair();
  const rtp = await reserveRtpRange();
  const yaml = `redis: ${input.redisUrl}
queuePrefix: "${prefix}"
sip: { listen: 127.0.0.1:${sipPort}, timers: { t1: 100ms, t2: 800ms, t4: 1s } }
media: { address: 127.0.0.1, ports: ${rtp.first}-${rtp.last}${Object.entries(input.media ?? {})
    .map(([k, v]) => `, ${k}: "${v}"`)
    .join('')} }
trunks:
  - name: carrier
    proxy: ${input.carrier}
    domain: carrier.test
    username: dialer1
    password: secret
    defaultCountry: BR
    dialFormats: [e164, e164-digits]
    cps: ${input.cps ?? 50}
    maxChannels: ${input.maxChannels ?? 10}
${input.trunkExtra ?? ''}
defaults:
  ringTimeout: 2s
  maxCallLength: ${input.maxCallLength ?? '10s'}
  maxAttempts: 3
  retryDelays: { busy: 300ms, noAnswer: 300ms, carrierError: 300ms }
shutdown: { grace: 2s }
${input.extra ?? ''}
`;
  return { config: parseConfig(yaml, {}), yaml, prefix };
}
