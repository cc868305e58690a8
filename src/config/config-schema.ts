import { customHeaderNameProblem, duplicateHeaderName, SIP_TOKEN } from '../kernel/index.js';
import * as z from 'zod';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import {
  boolean,
  callerId,
  cidrOrHost,
  duration,
  host,
  hostAndPort,
  hostWithOptionalPort,
  number,
  oneOf,
  optional,
  portRange,
  redisUrl,
  required,
  secretText,
  text,
  withDefault,
  type Check,
  type HostAndPort,
  type PortRange,
} from './config-fields.js';
import { BYTE_SIZE_EXPECTED, tryParseByteSize } from './parse-byte-size.js';

export type { HostAndPort, PortRange } from './config-fields.js';

export const SIP_TRANSPORTS = ['udp', 'tcp'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];

export const ENGINES = ['embedded', 'drachtio'] as const;
export type EngineName = (typeof ENGINES)[number];

export const DIAL_FORMATS = ['e164', 'e164-digits', 'national'] as const;
export type DialFormatName = (typeof DIAL_FORMATS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How a number is written in the Request-URI for one trunk, tried in order on 404/484. */
export interface DialFormatConfig {
  readonly format: DialFormatName;
  /** Technical prefix put before the formatted number (some carriers route on it). */
  readonly prefix?: string;
}

export interface DrachtioConfig {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface SipTimersConfig {
  /** RFC 3261 T1 (RTT estimate), ms. */
  readonly t1Ms: number;
  /** RFC 3261 T2 (maximum retransmit interval for non-INVITE requests and INVITE responses), ms. */
  readonly t2Ms: number;
  /** RFC 3261 T4 (maximum time a message stays in the network), ms. */
  readonly t4Ms: number;
}

export interface SipConfig {
  /** Local signalling address; REGISTER and INVITE both leave from here. */
  readonly listen: HostAndPort;
  readonly transport: SipTransport;
  /** Address advertised in Via and Contact when behind NAT. */
  readonly publicAddress?: string;
  readonly userAgent: string;
  readonly timers: SipTimersConfig;
  /**
   * RFC 4028 session interval asked for in every INVITE, with us as refresher: a carrier that
   * supports timers drops the call by itself if a dead worker stops refreshing. 0 asks for none.
   */
  readonly sessionExpiresSec: number;
  /** Bounds on inbound SIP TCP connections (embedded engine). */
  readonly tcp: SipTcpConfig;
}

export interface SipTcpConfig {
  /** An accepted connection with no complete message for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxConnections: number;
}

export interface MediaConfig {
  /** Local address RTP sockets bind to. */
  readonly address: string;
  readonly ports: PortRange;
  /** Where call scripts' prompt names are resolved. */
  readonly promptsDir: string;
  /** No RTP from the far end for this long ends the call (`rtp-timeout`); 0 turns it off. */
  readonly deadCallMs: number;
  readonly rtcpIntervalMs: number;
}

/** One carrier account. Structurally a superset of the SIP layer's `SipTrunk`. */
export interface TrunkConfig {
  readonly name: string;
  /** Where requests go: `host`, `host:port`; defaults to `domain`. */
  readonly proxy: string;
  readonly domain: string;
  /** Defaults to `sip.transport`. */
  readonly transport: SipTransport;
  readonly username?: string;
  readonly authUsername?: string;
  /** Never logged, never shown in an error. */
  readonly password?: string;
  readonly register: boolean;
  readonly registerExpiresSec: number;
  /** ISO 3166 alpha-2 country for numbers written without a country code. */
  readonly defaultCountry?: CountryCode;
  readonly dialFormats: readonly DialFormatConfig[];
  readonly callerId?: string;
  /** Extra headers on every INVITE. */
  readonly headers: Readonly<Record<string, string>>;
  /** Calls per second, fleet-wide. */
  readonly cps: number;
  /**
   * Learn the carrier's real limit from its 503s and pace just below it (absent: the limiter's
   * default, on). False: halve on each 503 and ramp back.
   */
  readonly learnCarrierLimit?: boolean;
  /** Concurrent calls, fleet-wide. */
  readonly maxChannels: number;
  /** BullMQ worker concurrency per process for this trunk; defaults to `maxChannels`. */
  readonly concurrency: number;
  /** 403s after our credentials on this many different numbers in a row stop the trunk (circuit `auth`). */
  readonly authStrikes: number;
}

export interface RetryDelaysConfig {
  readonly busyMs: number;
  readonly noAnswerMs: number;
  /** Base delay; grows with jitter on repeated carrier errors. */
  readonly carrierErrorMs: number;
}

/** Per-call defaults a campaign or job may override. */
export interface CallDefaultsConfig {
  readonly ringTimeoutMs: number;
  readonly maxCallLengthMs: number;
  readonly maxAttempts: number;
  readonly retryDelays: RetryDelaysConfig;
}

/** How worker processes hold jobs. */
export interface WorkersConfig {
  /** BullMQ job lock; a killed worker's jobs are taken over after about this long. */
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  /** How long past ring timeout + max call length a number stays fenced after a worker died mid-call. */
  readonly fenceMarginMs: number;
  /** Attempts per number per UTC day across campaigns; absent: no cap. */
  readonly maxDailyAttemptsPerNumber?: number;
  /** A worker that has not renewed its liveness lease for this long is dead: others end its calls. */
  readonly leaseTtlMs: number;
  /** How often each worker looks for dead workers' calls to end. */
  readonly orphanSweepIntervalMs: number;
}

/** What an API token may do; each role may do everything the one before it may. */
export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** One named API token. The name goes to the audit log; the token never does. */
export interface ApiTokenConfig {
  readonly name: string;
  readonly token: string;
  readonly role: ApiRole;
}

/** The HTTP API (`dialer serve`). */
export interface ApiConfig {
  readonly listen: HostAndPort;
  /** The legacy single token (`api.token`): an admin token. Never logged. */
  readonly token?: string;
  /**
   * Every token the API accepts: `api.tokens`, plus `api.token` as an admin named `api.token`.
   * One is required to serve.
   */
  readonly tokens: readonly ApiTokenConfig[];
  /** Largest request body (CSV uploads), bytes. */
  readonly bodyLimitBytes: number;
  /** How long a client has to send its whole request, headers and body, ms. */
  readonly requestTimeoutMs: number;
  /** How long a client has to send its request headers, ms. */
  readonly headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests, ms. */
  readonly keepAliveTimeoutMs: number;
  /** How long a connection may be silent (no bytes either way) before it is closed, ms. */
  readonly idleTimeoutMs: number;
  /** 401s one client address may get within a minute before it gets 429s instead. */
  readonly maxFailedLogins: number;
  /** Long polls (`?wait=`) one API server holds at once; more get 429 TOO_MANY_WAITERS. */
  readonly maxWaiters: number;
}

/** The worker's Prometheus endpoint. The section alone (no `listen`) builds the registry only. */
export interface MetricsConfig {
  /** Where `GET /metrics` is served over plain HTTP; absent: no server. */
  readonly listen?: HostAndPort;
}

/** Status callbacks: webhooks signed with HMAC-SHA256, delivered from a queue with retries. */
export interface CallbacksConfig {
  /** HMAC-SHA256 key the receiver verifies signatures with. Never logged. */
  readonly secret: string;
  /** How long one delivery may take before it counts as failed, ms. */
  readonly timeoutMs: number;
  /** Deliveries of one event, the first included. */
  readonly maxAttempts: number;
  /** Wait before the first retry, ms; doubles on each retry. */
  readonly backoffMs: number;
  /** Deliveries in flight per worker process. */
  readonly concurrency: number;
  /**
   * Non-public destinations deliveries may go to: CIDRs (`10.1.0.0/16`), addresses or host names.
   * Everything else that is not a public address is refused (SSRF).
   */
  readonly allowPrivate: readonly string[];
}

export interface DialerConfig {
  readonly redis: string;
  /** BullMQ prefix, hash-tagged so every key of a queue lands in one Redis Cluster slot. */
  readonly queuePrefix: string;
  readonly engine: EngineName;
  /** Present whenever `engine` is `drachtio`. */
  readonly drachtio?: DrachtioConfig;
  readonly sip: SipConfig;
  readonly media: MediaConfig;
  readonly trunks: readonly TrunkConfig[];
  readonly defaults: CallDefaultsConfig;
  readonly shutdown: { readonly graceMs: number };
  readonly workers: WorkersConfig;
  readonly log: { readonly level: LogLevel };
  readonly metrics?: MetricsConfig;
  readonly callbacks?: CallbacksConfig;
  readonly api: ApiConfig;
}

const DAY_MS = 86_400_000;

// Headers the SIP layer writes itself; letting config set them would break dialogs or auth.

function countryCode(value: unknown): Check<CountryCode> {
  if (typeof value !== 'string' || !/^[A-Z]{2}$/.test(value)) {
    return { ok: false, problem: 'expected an ISO 3166 alpha-2 country code in upper case, e.g. BR' };
  }
  if (!isSupportedCountry(value)) return { ok: false, problem: 'is not a country libphonenumber knows' };
  return { ok: true, value };
}

const DIAL_FORMAT_EXPECTED = `expected one of ${DIAL_FORMATS.join(', ')}, or { format, prefix }`;
const checkPrefix = text({
  maxLength: 32,
  pattern: /^[0-9A-Za-z*#+]+$/,
  expected: 'a prefix of digits, letters, * # or +',
});

function dialFormat(value: unknown): Check<DialFormatConfig> {
  if (typeof value === 'string') {
    const format = oneOf(DIAL_FORMATS)(value);
    return format.ok
      ? { ok: true, value: { format: format.value } }
      : { ok: false, problem: DIAL_FORMAT_EXPECTED };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: DIAL_FORMAT_EXPECTED };
  }
  const { format, prefix, ...unknown } = value as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0)
    return { ok: false, problem: `unknown key ${extra.join(', ')}: ${DIAL_FORMAT_EXPECTED}` };
  const checkedFormat = oneOf(DIAL_FORMATS)(format);
  if (!checkedFormat.ok) return { ok: false, problem: `format: ${checkedFormat.problem}` };
  if (prefix === undefined) return { ok: true, value: { format: checkedFormat.value } };
  const checkedPrefix = checkPrefix(typeof prefix === 'number' ? String(prefix) : prefix);
  if (!checkedPrefix.ok) return { ok: false, problem: `prefix: ${checkedPrefix.problem}` };
  return { ok: true, value: { format: checkedFormat.value, prefix: checkedPrefix.value } };
}

const headerMap = z.record(z.string(), z.unknown()).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    if (!SIP_TOKEN.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'header name must be an RFC 3261 token' });
    } else {
      const problem = customHeaderNameProblem(name);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
    const checked = text({ maxLength: 1024 })(typeof value === 'number' ? String(value) : value);
    if (!checked.ok) ctx.addIssue({ code: 'custom', path: [name], message: checked.problem });
  }
  const duplicate = duplicateHeaderName(Object.keys(headers));
  if (duplicate)
    ctx.addIssue({
      code: 'custom',
      path: [duplicate.name],
      message: `is the same header as ${duplicate.sameAs}: name it once`,
    });
});

/**
 * 403s right after our credentials, on this many different numbers in a row, that stop a trunk
 * (circuit kind `auth`): one 403 may be a callee's refusal, a run of them is the trunk's account.
 */
export const DEFAULT_AUTH_STRIKES = 3;

const trunkSchema = z
  .strictObject({
    name: required(
      text({ maxLength: 64, pattern: /^[a-z0-9_-]+$/, expected: 'lower-case letters, digits, _ or -' }),
    ),
    proxy: optional(hostWithOptionalPort),
    domain: required(host),
    transport: optional(oneOf(SIP_TRANSPORTS)),
    username: optional(
      // RFC 3261 §25.1 `user`: unreserved / escaped / user-unreserved.
      text({ maxLength: 128, pattern: /^[A-Za-z0-9\-_.!~*'()%&=+$,;?/]+$/, expected: 'a SIP user part' }),
    ),
    authUsername: optional(
      text({ maxLength: 128, pattern: /^[^"\\]+$/, expected: 'a name without " or \\' }),
    ),
    password: optional(secretText),
    register: withDefault(boolean, false),
    registerExpires: withDefault(duration({ minMs: 1_000, maxMs: DAY_MS }), '1h'),
    defaultCountry: optional(countryCode),
    dialFormats: z
      .array(required(dialFormat), { error: 'expected a list of dial formats' })
      .min(1, 'expected at least one dial format')
      .optional(),
    callerId: optional(callerId),
    headers: headerMap.optional(),
    cps: withDefault(number({ min: 0.01, max: 10_000 }), 10),
    learnCarrierLimit: optional(boolean),
    maxChannels: withDefault(number({ min: 1, max: 100_000, integer: true }), 30),
    concurrency: optional(number({ min: 1, max: 100_000, integer: true })),
    authStrikes: withDefault(number({ min: 1, max: 1000, integer: true }), DEFAULT_AUTH_STRIKES),
  })
  .superRefine((trunk, ctx) => {
    if (trunk.register && trunk.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required when register is true' });
    }
    if (trunk.password !== undefined && trunk.username === undefined && trunk.authUsername === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'is set but there is no username or authUsername to use it with',
      });
    }
  });

const drachtioSchema = z.strictObject({
  host: required(host),
  port: withDefault(number({ min: 1, max: 65535, integer: true }), 9022),
  secret: required(secretText),
});

const sipSchema = z
  .strictObject({
    listen: withDefault(hostAndPort({ minPort: 0 }), '0.0.0.0:5060'),
    transport: withDefault(oneOf(SIP_TRANSPORTS), 'udp'),
    publicAddress: optional(host),
    userAgent: withDefault(text({ maxLength: 128 }), 'sip-dialer/0.1'),
    // RFC 4028 §4: never below Min-SE's floor of 90 s; 0 turns the header off.
    sessionExpires: withDefault(duration({ maxMs: 86_400_000 }), '5m').refine(
      (ms) => ms === 0 || ms >= 90_000,
      'must be 0 (off) or at least 90s (RFC 4028 Min-SE floor)',
    ),
    timers: z
      .strictObject({
        t1: withDefault(duration({ minMs: 1, maxMs: 60_000 }), '500ms'),
        t2: withDefault(duration({ minMs: 1, maxMs: 600_000 }), '4s'),
        t4: withDefault(duration({ minMs: 1, maxMs: 600_000 }), '5s'),
      })
      .superRefine((timers, ctx) => {
        if (timers.t2 < timers.t1)
          ctx.addIssue({ code: 'custom', path: ['t2'], message: 'must not be below t1' });
      })
      .prefault({}),
    // Inbound SIP TCP only (connections others open to us). 30 s is far above any real
    // message's transfer time; a carrier opens a handful of connections, not dozens.
    tcp: z
      .strictObject({
        idleTimeout: withDefault(duration({ minMs: 1, maxMs: 3_600_000 }), '30s'),
        maxConnectionsPerAddress: withDefault(number({ min: 1, max: 100_000, integer: true }), 32),
        maxConnections: withDefault(number({ min: 1, max: 1_000_000, integer: true }), 1024),
      })
      .prefault({}),
  })
  .prefault({});

const mediaSchema = z
  .strictObject({
    address: withDefault(host, '0.0.0.0'),
    ports: withDefault(portRange, '20000-20999'),
    prompts: withDefault(text({ maxLength: 1024 }), './prompts'),
    deadCallTimeout: withDefault(duration({ maxMs: DAY_MS }), '30s'),
    rtcpInterval: withDefault(duration({ minMs: 500, maxMs: 10 * 60_000 }), '5s'),
  })
  .prefault({});

const defaultsSchema = z
  .strictObject({
    ringTimeout: withDefault(duration({ minMs: 1_000, maxMs: 10 * 60_000 }), '30s'),
    maxCallLength: withDefault(duration({ minMs: 1_000, maxMs: DAY_MS }), '10m'),
    maxAttempts: withDefault(number({ min: 1, max: 100, integer: true }), 3),
    retryDelays: z
      .strictObject({
        busy: withDefault(duration({ maxMs: 30 * DAY_MS }), '5m'),
        noAnswer: withDefault(duration({ maxMs: 30 * DAY_MS }), '15m'),
        carrierError: withDefault(duration({ maxMs: 30 * DAY_MS }), '30s'),
      })
      .prefault({}),
  })
  .prefault({});

function byteSize(options: { min: number; max: number }) {
  return (value: unknown): Check<number> => {
    const bytes = tryParseByteSize(value);
    if (bytes === undefined) return { ok: false, problem: BYTE_SIZE_EXPECTED };
    if (bytes < options.min || bytes > options.max) {
      return { ok: false, problem: `must be from ${options.min} to ${options.max} bytes` };
    }
    return { ok: true, value: bytes };
  };
}

/** The name `api.token` is known by in the audit log. */
export const LEGACY_TOKEN_NAME = 'api.token';

// Long enough that guessing it over the network is hopeless; `openssl rand -hex 32` gives 64.
const apiToken = text({
  maxLength: 512,
  pattern: /^[\x21-\x7e]{16,}$/,
  expected: 'at least 16 printable characters, no spaces',
});

const apiTokenSchema = z.strictObject({
  name: required(
    text({ maxLength: 64, pattern: /^[A-Za-z0-9_.@-]+$/, expected: 'letters, digits, _ . @ or -' }),
  ),
  token: required(apiToken),
  role: required(oneOf(API_ROLES)),
});

const apiSchema = z
  .strictObject({
    listen: withDefault(hostAndPort({ minPort: 0 }), '127.0.0.1:8080'),
    token: optional(apiToken),
    tokens: z.array(apiTokenSchema, { error: 'expected a list of { name, token, role }' }).optional(),
    bodyLimit: withDefault(byteSize({ min: 1024, max: 1024 ** 4 }), '50MB'),
    // Slow clients (a trickled body, headers that never end) hold a socket each; these bound how long.
    requestTimeout: withDefault(duration({ minMs: 100, maxMs: DAY_MS }), '5m'),
    headersTimeout: withDefault(duration({ minMs: 100, maxMs: 10 * 60_000 }), '10s'),
    keepAliveTimeout: withDefault(duration({ minMs: 100, maxMs: 10 * 60_000 }), '5s'),
    // Longer than the longest `?wait=` long poll (60 s), which sends nothing while it waits.
    idleTimeout: withDefault(duration({ minMs: 100, maxMs: DAY_MS }), '2m'),
    maxWaiters: withDefault(number({ min: 1, max: 1_000_000, integer: true }), 1000),
    maxFailedLogins: withDefault(number({ min: 1, max: 1_000_000, integer: true }), 10),
  })
  .prefault({})
  .superRefine((api, ctx) => {
    const names = new Set<string>([...(api.token !== undefined ? [LEGACY_TOKEN_NAME] : [])]);
    const tokens = new Set<string>([...(api.token !== undefined ? [api.token] : [])]);
    (api.tokens ?? []).forEach((entry, i) => {
      // Issues on the name show it; issues on the token never show the token.
      if (names.has(entry.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'name'],
          message: `is used twice (${JSON.stringify(entry.name)}); token names must be unique`,
        });
      }
      if (tokens.has(entry.token)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'token'],
          message: 'is the same as another token (api.token or api.tokens); tokens must be unique',
        });
      }
      names.add(entry.name);
      tokens.add(entry.token);
    });
  });

const metricsSchema = z.strictObject({ listen: optional(hostAndPort({ minPort: 0 })) });

const callbacksSchema = z.strictObject({
  // Short keys make HMAC forgery a matter of guessing the key.
  secret: required((value: unknown): Check<string> => {
    const checked = secretText(value);
    if (checked.ok && checked.value.length < 16)
      return { ok: false, problem: 'must be at least 16 characters' };
    return checked;
  }),
  timeout: withDefault(duration({ minMs: 100, maxMs: 60_000 }), '5s'),
  maxAttempts: withDefault(number({ min: 1, max: 50, integer: true }), 8),
  backoff: withDefault(duration({ minMs: 10, maxMs: 3_600_000 }), '1s'),
  concurrency: withDefault(number({ min: 1, max: 1000, integer: true }), 20),
  allowPrivate: z
    .array(required(cidrOrHost), { error: 'expected a list of CIDRs, addresses or host names' })
    .max(256, 'expected at most 256 entries')
    .default([]),
});

/**
 * The whole file. Objects are strict so a misspelt key (`pasword`) is an error, not a silently
 * missing setting. The output is `DialerConfig`, durations in ms.
 */
export const dialerConfigSchema = z
  .strictObject({
    redis: withDefault(redisUrl, 'redis://127.0.0.1:6379'),
    queuePrefix: withDefault(
      text({ maxLength: 64, pattern: /^\S+$/, expected: 'a prefix without spaces' }),
      '{dialer}',
    ),
    engine: withDefault(oneOf(ENGINES), 'embedded'),
    drachtio: drachtioSchema.optional(),
    sip: sipSchema,
    media: mediaSchema,
    trunks: z
      .array(trunkSchema, { error: 'expected a list of trunks' })
      .min(1, 'expected at least one trunk')
      .optional()
      // A transform, not a refinement: zod drops refinement issues on an absent optional key.
      .transform((trunks, ctx) => {
        if (trunks === undefined) {
          ctx.addIssue({ code: 'custom', message: 'is required: at least one trunk' });
          return z.NEVER;
        }
        const seen = new Set<string>();
        trunks.forEach((trunk, index) => {
          if (seen.has(trunk.name)) {
            ctx.addIssue({ code: 'custom', path: [index, 'name'], message: 'duplicate trunk name' });
          }
          seen.add(trunk.name);
        });
        return trunks;
      }),
    defaults: defaultsSchema,
    shutdown: z.strictObject({ grace: withDefault(duration({ maxMs: 60 * 60_000 }), '30s') }).prefault({}),
    workers: z
      .strictObject({
        lockDuration: withDefault(duration({ minMs: 1_000, maxMs: 10 * 60_000 }), '30s'),
        stalledInterval: withDefault(duration({ minMs: 500, maxMs: 10 * 60_000 }), '30s'),
        fenceMargin: withDefault(duration({ maxMs: DAY_MS }), '60s'),
        maxDailyAttemptsPerNumber: optional(number({ min: 1, max: 1000, integer: true })),
        leaseTtl: withDefault(duration({ minMs: 1_000, maxMs: 10 * 60_000 }), '5s'),
        orphanSweepInterval: withDefault(duration({ minMs: 100, maxMs: 10 * 60_000 }), '1s'),
      })
      .prefault({}),
    log: z.strictObject({ level: withDefault(oneOf(LOG_LEVELS), 'info') }).prefault({}),
    metrics: metricsSchema.optional(),
    callbacks: callbacksSchema.optional(),
    api: apiSchema,
  })
  .superRefine((config, ctx) => {
    if (config.engine === 'drachtio' && config.drachtio === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['drachtio'],
        message: 'is required when engine is drachtio (or set DRACHTIO_URL=drachtio://:secret@host:port)',
      });
    }
  })
  .transform((raw): DialerConfig => {
    const { grace } = raw.shutdown;
    const { timers } = raw.sip;
    const { retryDelays } = raw.defaults;
    return {
      redis: raw.redis,
      queuePrefix: raw.queuePrefix,
      engine: raw.engine,
      ...(raw.drachtio !== undefined && { drachtio: raw.drachtio }),
      sip: {
        listen: raw.sip.listen,
        transport: raw.sip.transport,
        ...(raw.sip.publicAddress !== undefined && { publicAddress: raw.sip.publicAddress }),
        userAgent: raw.sip.userAgent,
        timers: { t1Ms: timers.t1, t2Ms: timers.t2, t4Ms: timers.t4 },
        sessionExpiresSec: Math.round(raw.sip.sessionExpires / 1000),
        tcp: {
          idleTimeoutMs: raw.sip.tcp.idleTimeout,
          maxConnectionsPerAddress: raw.sip.tcp.maxConnectionsPerAddress,
          maxConnections: raw.sip.tcp.maxConnections,
        },
      },
      media: {
        address: raw.media.address,
        ports: raw.media.ports,
        promptsDir: raw.media.prompts,
        deadCallMs: raw.media.deadCallTimeout,
        rtcpIntervalMs: raw.media.rtcpInterval,
      },
      trunks: raw.trunks.map((trunk): TrunkConfig => {
        const { registerExpires, dialFormats, concurrency, ...rest } = trunk;
        return {
          ...withoutUndefined(rest),
          proxy: trunk.proxy ?? trunk.domain,
          transport: trunk.transport ?? raw.sip.transport,
          registerExpiresSec: Math.round(registerExpires / 1000),
          dialFormats: dialFormats ?? [{ format: 'e164' }],
          headers: Object.fromEntries(Object.entries(trunk.headers ?? {}).map(([k, v]) => [k, String(v)])),
          concurrency: concurrency ?? trunk.maxChannels,
        };
      }),
      defaults: {
        ringTimeoutMs: raw.defaults.ringTimeout,
        maxCallLengthMs: raw.defaults.maxCallLength,
        maxAttempts: raw.defaults.maxAttempts,
        retryDelays: {
          busyMs: retryDelays.busy,
          noAnswerMs: retryDelays.noAnswer,
          carrierErrorMs: retryDelays.carrierError,
        },
      },
      shutdown: { graceMs: grace },
      workers: {
        lockDurationMs: raw.workers.lockDuration,
        stalledIntervalMs: raw.workers.stalledInterval,
        fenceMarginMs: raw.workers.fenceMargin,
        leaseTtlMs: raw.workers.leaseTtl,
        orphanSweepIntervalMs: raw.workers.orphanSweepInterval,
        ...(raw.workers.maxDailyAttemptsPerNumber !== undefined && {
          maxDailyAttemptsPerNumber: raw.workers.maxDailyAttemptsPerNumber,
        }),
      },
      log: raw.log,
      ...(raw.metrics !== undefined && {
        metrics: raw.metrics.listen !== undefined ? { listen: raw.metrics.listen } : {},
      }),
      ...(raw.callbacks !== undefined && {
        callbacks: {
          secret: raw.callbacks.secret,
          timeoutMs: raw.callbacks.timeout,
          maxAttempts: raw.callbacks.maxAttempts,
          backoffMs: raw.callbacks.backoff,
          concurrency: raw.callbacks.concurrency,
          allowPrivate: raw.callbacks.allowPrivate,
        },
      }),
      api: {
        listen: raw.api.listen,
        ...(raw.api.token !== undefined && { token: raw.api.token }),
        tokens: [
          ...(raw.api.token !== undefined
            ? [{ name: LEGACY_TOKEN_NAME, token: raw.api.token, role: 'admin' as const }]
            : []),
          ...(raw.api.tokens ?? []),
        ],
        bodyLimitBytes: raw.api.bodyLimit,
        requestTimeoutMs: raw.api.requestTimeout,
        headersTimeoutMs: raw.api.headersTimeout,
        keepAliveTimeoutMs: raw.api.keepAliveTimeout,
        idleTimeoutMs: raw.api.idleTimeout,
        maxFailedLogins: raw.api.maxFailedLogins,
        maxWaiters: raw.api.maxWaiters,
      },
    };
  });

// Optional settings are left out rather than present as undefined, so `'x' in trunk` and
// spreading into SIP options behave as if the key had never been written.
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
