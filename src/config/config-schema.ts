import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import tls from 'node:tls';
import {
  customHeaderNameProblem,
  DEFAULT_USER_AGENT,
  duplicateHeaderName,
  SIP_TOKEN,
  type RedisTarget,
} from '../kernel/index.js';
import * as z from 'zod';
import { getExampleNumber, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
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
  readableFile,
  required,
  secretText,
  text,
  trustProxy,
  withDefault,
  type Check,
  type HostAndPort,
  type PortRange,
} from './config-fields.js';
import { redisTarget } from './redis-target-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { BYTE_SIZE_EXPECTED, tryParseByteSize } from './parse-byte-size.js';

export type { HostAndPort, PortRange } from './config-fields.js';

export const SIP_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];

export const ENGINES = ['embedded', 'drachtio'] as const;

/** RFC 3581: learn the public address from the registrar's `received`/`rport`, or never. */
export const SIP_NAT_MODES = ['auto', 'off'] as const;
export type SipNatMode = (typeof SIP_NAT_MODES)[number];

/**
 * How the caller ID is asserted to the trunk (RFC 3325): `sip:<digits>@<domain>`, `tel:+<digits>`,
 * or no P-Asserted-Identity at all (a carrier that takes the From only, or refuses PAI from us).
 */
export const P_ASSERTED_IDENTITY_FORMS = ['sip', 'tel', 'off'] as const;
export type PAssertedIdentityForm = (typeof P_ASSERTED_IDENTITY_FORMS)[number];
/**
 * `sip`: what trunks of this kind expect from a PBX-like peer, and what the dialer sent before the
 * setting existed. Used by the config and by an engine handed a trunk without the setting.
 */
export const DEFAULT_P_ASSERTED_IDENTITY: PAssertedIdentityForm = 'sip';

/**
 * SRTP with SDES keys (RFC 4568) per trunk: `off` plain RTP; `optional` RTP/AVP offered with
 * `a=crypto` lines, either answer taken; `required` RTP/SAVP, an answer without usable crypto
 * ends the call (`SRTP_NEGOTIATION_FAILED`).
 */
export const SRTP_MODES = ['off', 'optional', 'required'] as const;
export type SrtpMode = (typeof SRTP_MODES)[number];
/** Plain RTP: what carriers without SRTP take, and what the dialer did before the setting. */
export const DEFAULT_SRTP_MODE: SrtpMode = 'off';

/** A trunk's media settings. */
export interface TrunkMediaConfig {
  readonly srtp: SrtpMode;
}
export type EngineName = (typeof ENGINES)[number];

export const DIAL_FORMATS = ['e164', 'e164-digits', 'national', 'national-significant'] as const;
export type DialFormatName = (typeof DIAL_FORMATS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How a number is written in the Request-URI for one trunk, tried in order on 404/484. */
export interface DialFormatConfig {
  readonly format: DialFormatName;
  /** Technical prefix put before the formatted number (some carriers route on it). */
  readonly prefix?: string;
}

/**
 * Who owns TLS with `engine: drachtio`. `refuse`: nobody here can vouch for drachtio-server's
 * certificate checks, so TLS and sips trunks are refused at start. `server`: the operator says
 * drachtio-server terminates TLS with its own certificates and checks (its `<tls>` config); this
 * process verifies nothing.
 */
export const DRACHTIO_TLS_MODES = ['refuse', 'server'] as const;
export type DrachtioTlsMode = (typeof DRACHTIO_TLS_MODES)[number];

export interface DrachtioConfig {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly tls: DrachtioTlsMode;
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
  /**
   * `auto`: when a registrar's answer says (Via `received`/`rport`) that it saw us at another
   * address than our Contact, register again with that address and use it in INVITE Contacts.
   */
  readonly nat: SipNatMode;
  /** How often a registered trunk gets a CRLFCRLF keep-alive (RFC 5626 §4.4.1), ms; 0: never. */
  readonly keepAliveMs: number;
  /** Keep-alive of our TLS connections to carriers (embedded engine). */
  readonly tls: SipTlsConfig;
}

export interface SipTlsConfig {
  /** A CRLFCRLF ping every 80–100 % of this (RFC 5626 §4.4.1); 0 sends none. */
  readonly keepAliveMs: number;
  /** No answer this long after a ping closes the connection, and the trunk registers again. */
  readonly keepAliveTimeoutMs: number;
  /** Our TLS listener for connections carriers open to us; absent without `sip.tls.cert`/`key`. */
  readonly server?: SipTlsServerConfig;
}

/** Where the TLS listener listens and the identity it presents. Paths, not contents. */
export interface SipTlsServerConfig {
  readonly certPath: string;
  readonly keyPath: string;
  readonly port: number;
}

/** How a trunk's TLS carrier is checked (`transport: tls`). Paths, not contents. */
export interface TrunkTlsConfig {
  /** CA bundle the carrier's certificate must chain to; absent: the system's CAs. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Name the certificate must carry, and the SNI; absent: the trunk's domain. */
  readonly servername?: string;
  /** False only together with `insecure: true` (tests). */
  readonly rejectUnauthorized: boolean;
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
  /** Where call recordings (`script.record`) are written; it must exist and be writable. */
  readonly recordingsDir: string;
  /** Recordings older than this are deleted by the worker's sweeper; 0 keeps them for ever. */
  readonly recordingsRetentionMs: number;
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
  /** `sips:` URIs; only with `transport: tls`. */
  readonly sips?: boolean;
  readonly tls?: TrunkTlsConfig;
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
  /**
   * The caller IDs the carrier lets this account present; absent: any. A job or campaign asking
   * for another is refused at enqueue.
   */
  readonly allowedCallerIds?: readonly string[];
  /** P-Asserted-Identity form (RFC 3325) for the caller ID, or `off`. */
  readonly pAssertedIdentity: PAssertedIdentityForm;
  /**
   * A number or URI sent as `Diversion: <uri>;reason=unconditional` (RFC 5806) on every INVITE, for
   * carriers that authorise a forwarded caller ID by the number it was diverted from.
   */
  readonly diversion?: string;
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
  readonly media: TrunkMediaConfig;
}

export interface RetryDelaysConfig {
  readonly busyMs: number;
  readonly noAnswerMs: number;
  /** Base delay; grows with jitter on repeated carrier errors. */
  readonly carrierErrorMs: number;
  /** Before calling a number a machine answered again. */
  readonly machineMs: number;
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
  /**
   * Whose `X-Forwarded-For` / `-Proto` to believe (fastify's `trustProxy`): false, true, or the
   * proxies' addresses / CIDRs. Decides the client address (failed-login limit, audit) and
   * whether the session cookie is `Secure` behind a TLS-terminating proxy.
   */
  readonly trustProxy: boolean | readonly string[];
  /** How long a browser session cookie is good for after the token was presented, ms. */
  readonly sessionTtlMs: number;
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
   * Deliveries in flight per worker process to one receiver (scheme, host and port), so a
   * receiver that hangs or trickles holds at most this many of `concurrency`'s slots.
   */
  readonly perHostConcurrency: number;
  /**
   * Non-public destinations deliveries may go to: CIDRs (`10.1.0.0/16`), addresses or host names.
   * Everything else that is not a public address is refused (SSRF).
   */
  readonly allowPrivate: readonly string[];
}

export interface DialerConfig {
  /** A URL, a Sentinel group or a cluster's seed nodes; connections are made by `redis/`. */
  readonly redis: RedisTarget;
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

/**
 * RFC 3261's default T1. The carrier's T1 is not ours to set: a smaller `sip.timers.t1` on our
 * side does not shorten how long the carrier resends an un-ACKed 2xx, so the fence margin floor
 * never goes below 64 × this.
 */
const RFC3261_T1_MS = 500;

/**
 * The smallest `workers.fenceMargin` that keeps the no-double-ring guarantee: a worker that dies
 * between a 2xx and its ACK leaves the callee connected while the carrier resends the 2xx, for
 * 64·T1; a fence that lapses sooner lets a re-run job ring the number again.
 */
function minFenceMarginMs(t1Ms: number): number {
  return 64 * Math.max(t1Ms, RFC3261_T1_MS);
}

/** A duration as the configuration file writes it, so a message can be pasted back. */
function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

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
    sips: optional(boolean),
    tls: z
      .strictObject({
        ca: optional(readableFile),
        cert: optional(readableFile),
        key: optional(readableFile),
        servername: optional(host),
        rejectUnauthorized: withDefault(boolean, true),
        insecure: optional(boolean),
      })
      .superRefine((tls, ctx) => {
        if ((tls.cert === undefined) !== (tls.key === undefined))
          ctx.addIssue({
            code: 'custom',
            path: [tls.cert === undefined ? 'cert' : 'key'],
            message:
              'is required with tls.' +
              (tls.cert === undefined ? 'key' : 'cert') +
              ': a client certificate needs its key',
          });
        // A dialer that trusts any certificate sends its digest answers and callee numbers to
        // whoever sits on the path: turning that on takes two keys, not one.
        if (!tls.rejectUnauthorized && tls.insecure !== true)
          ctx.addIssue({
            code: 'custom',
            path: ['rejectUnauthorized'],
            message:
              'is false, which accepts any certificate (a man in the middle too): for tests only; set tls.insecure: true beside it to confirm',
          });
      })
      .optional(),
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
    allowedCallerIds: z
      .array(required(callerId), { error: 'expected a list of caller IDs' })
      .min(1, 'expected at least one caller ID (leave the key out to allow any)')
      .max(10_000, 'expected at most 10000 caller IDs')
      .optional(),
    pAssertedIdentity: withDefault(oneOf(P_ASSERTED_IDENTITY_FORMS), DEFAULT_P_ASSERTED_IDENTITY),
    diversion: optional(callerId),
    headers: headerMap.optional(),
    cps: withDefault(number({ min: 0.01, max: 10_000 }), 10),
    learnCarrierLimit: optional(boolean),
    maxChannels: withDefault(number({ min: 1, max: 100_000, integer: true }), 30),
    concurrency: optional(number({ min: 1, max: 100_000, integer: true })),
    authStrikes: withDefault(number({ min: 1, max: 1000, integer: true }), DEFAULT_AUTH_STRIKES),
    media: z.strictObject({ srtp: withDefault(oneOf(SRTP_MODES), DEFAULT_SRTP_MODE) }).prefault({}),
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
    if (trunk.callerId !== undefined && trunk.allowedCallerIds !== undefined) {
      const digits = (v: string): string => v.replace(/[^0-9+]/g, '');
      if (
        !trunk.allowedCallerIds.some(
          (a) => a === trunk.callerId || digits(a) === digits(trunk.callerId ?? ''),
        )
      )
        ctx.addIssue({
          code: 'custom',
          path: ['callerId'],
          message: `${JSON.stringify(trunk.callerId)} is not in allowedCallerIds`,
        });
    }
    const trunkPrefix = trunk.defaultCountry && nationalPrefixOf(trunk.defaultCountry);
    trunk.dialFormats?.forEach((f, i) => {
      // `national` carries the trunk prefix itself; the same prefix again would dial `0030…`,
      // which in Germany is the international access code.
      if (f.format === 'national' && trunkPrefix && f.prefix === trunkPrefix)
        ctx.addIssue({
          code: 'custom',
          path: ['dialFormats', i, 'prefix'],
          message: `national already includes ${trunk.defaultCountry}'s trunk prefix ${trunkPrefix}: drop the prefix, or use national-significant`,
        });
    });
  });

/**
 * The digits a country dials before a national number (`0`, `8`), if it has one, read off how
 * libphonenumber writes the country's example number nationally (its typings do not expose the
 * metadata's national prefix).
 */
function nationalPrefixOf(country: CountryCode): string | undefined {
  const example = getExampleNumber(country, examples);
  if (example === undefined) return undefined;
  const digits = example.formatNational().replace(/\D/g, '');
  if (!digits.endsWith(example.nationalNumber)) return undefined;
  return digits.slice(0, digits.length - example.nationalNumber.length) || undefined;
}

const drachtioSchema = z.strictObject({
  host: required(host),
  port: withDefault(number({ min: 1, max: 65535, integer: true }), 9022),
  secret: required(secretText),
  tls: withDefault(oneOf(DRACHTIO_TLS_MODES), 'refuse'),
});

// A trunk's own TLS settings that drachtio-server cannot be told per request: they would be
// silently ignored, and an operator would believe a CA or a name was checked when it was not.
const TRUNK_TLS_KEYS_NOT_FOR_DRACHTIO = ['ca', 'cert', 'key', 'servername', 'insecure'] as const;

const sipSchema = z
  .strictObject({
    listen: withDefault(hostAndPort({ minPort: 0 }), '0.0.0.0:5060'),
    transport: withDefault(oneOf(SIP_TRANSPORTS), 'udp'),
    publicAddress: optional(host),
    // auto: it changes nothing until a registrar reports an address other than our Contact, and
    // then a worker behind NAT (a container, a cloud VM) would otherwise register an address no
    // carrier can reach, and have its calls refused or its in-dialog requests lost.
    nat: withDefault(oneOf(SIP_NAT_MODES), 'auto'),
    // Under the 30 s many NATs and firewalls keep an idle UDP binding (RFC 5626 §4.4.1 leaves the
    // interval to the deployment; its 95-120 s suit TCP, not consumer UDP NATs). 0 turns it off.
    keepAlive: withDefault(duration({ maxMs: 3_600_000 }), '25s').refine(
      (ms) => ms === 0 || ms >= 1_000,
      'must be 0 (off) or at least 1s',
    ),
    userAgent: withDefault(text({ maxLength: 128 }), DEFAULT_USER_AGENT),
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
    // Our own TLS connections to carriers. 30 s stays under the idle cut-off of the SBCs and
    // stateful firewalls we have met (60 s and up); RFC 5626 §4.4.1 gives 10 s for the pong.
    // With cert and key, also a listener for connections carriers open to us (RFC 3261 §18.2.2,
    // RFC 5626): 5061 is SIP over TLS's own port (RFC 3261 §26.2), beside the UDP/TCP one.
    tls: z
      .strictObject({
        keepAlive: withDefault(duration({ maxMs: 3_600_000 }), '30s'),
        keepAliveTimeout: withDefault(duration({ minMs: 100, maxMs: 600_000 }), '10s'),
        cert: optional(readableFile),
        key: optional(readableFile),
        port: withDefault(number({ min: 0, max: 65_535, integer: true }), 5061),
      })
      .superRefine((tls, ctx) => {
        if ((tls.cert === undefined) !== (tls.key === undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: [tls.cert === undefined ? 'cert' : 'key'],
            message: `is required with sip.tls.${tls.cert === undefined ? 'key' : 'cert'}: the TLS listener needs both`,
          });
          return;
        }
        if (tls.cert === undefined || tls.key === undefined) return;
        const problem = serverIdentityProblem(tls.cert, tls.key);
        if (problem !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['key'],
            message: `with sip.tls.cert ${JSON.stringify(tls.cert)} is not a usable TLS server identity (${problem})`,
          });
      })
      .prefault({}),
  })
  .prefault({});

const mediaSchema = z
  .strictObject({
    address: withDefault(host, '0.0.0.0'),
    ports: withDefault(portRange, '20000-20999'),
    prompts: withDefault(text({ maxLength: 1024 }), './prompts'),
    recordings: withDefault(text({ maxLength: 1024 }), './recordings'),
    // Call recordings are personal data: kept a quarter (long enough for disputes and quality
    // review), not until the disk fills. An hour at least: the sweep looks at files' last
    // change, and a recording being written changes about once a second.
    recordingsRetention: withDefault(duration({ maxMs: 3650 * DAY_MS }), '90d').refine(
      (ms) => ms === 0 || ms >= 3_600_000,
      'must be 0 (keep for ever) or at least 1h',
    ),
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
        // A machine answered: call again at another part of the day (VICIdial recycles after hours).
        machine: withDefault(duration({ maxMs: 30 * DAY_MS }), '4h'),
      })
      .prefault({}),
  })
  .prefault({});

function callDefaultsOf(raw: z.output<typeof defaultsSchema>): CallDefaultsConfig {
  const { retryDelays } = raw;
  return {
    ringTimeoutMs: raw.ringTimeout,
    maxCallLengthMs: raw.maxCallLength,
    maxAttempts: raw.maxAttempts,
    retryDelays: {
      busyMs: retryDelays.busy,
      noAnswerMs: retryDelays.noAnswer,
      carrierErrorMs: retryDelays.carrierError,
      machineMs: retryDelays.machine,
    },
  };
}

/** `defaults` of a config that sets none: what code outside a worker (a bare retry policy) starts from. */
export const CALL_DEFAULTS: CallDefaultsConfig = deepFreeze(callDefaultsOf(defaultsSchema.parse(undefined)));

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
    trustProxy: withDefault(trustProxy, false),
    // A working day: a stolen cookie is good for hours, not forever; a person logs in once a day.
    sessionTtl: withDefault(duration({ minMs: 1_000, maxMs: 30 * DAY_MS }), '8h'),
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

const callbacksSchema = z
  .strictObject({
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
    // Absent: a quarter of `concurrency`, so three receivers hanging at once still leave room.
    perHostConcurrency: optional(number({ min: 1, max: 1000, integer: true })),
    allowPrivate: z
      .array(required(cidrOrHost), { error: 'expected a list of CIDRs, addresses or host names' })
      .max(256, 'expected at most 256 entries')
      .default([]),
  })
  .superRefine((callbacks, ctx) => {
    if (callbacks.perHostConcurrency !== undefined && callbacks.perHostConcurrency > callbacks.concurrency) {
      ctx.addIssue({
        code: 'custom',
        path: ['perHostConcurrency'],
        message: `must not be above callbacks.concurrency (${callbacks.concurrency}): one receiver could take every slot`,
      });
    }
  });

/**
 * The whole file. Objects are strict so a misspelt key (`pasword`) is an error, not a silently
 * missing setting. The output is `DialerConfig`, durations in ms.
 */
export const dialerConfigSchema = z
  .strictObject({
    redis: redisTarget('redis://127.0.0.1:6379'),
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
    // Without one hash tag around it, a key's slot is its whole name: every script with two keys
    // would be refused by a cluster (CROSSSLOT), and no trunk would get a tag of its own.
    if (
      typeof config.redis === 'object' &&
      'cluster' in config.redis &&
      !/^\{[^{}]+\}$/.test(config.queuePrefix)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['queuePrefix'],
        message: 'on a Redis Cluster must be one hash tag in braces, such as "{dialer}"',
      });
    }
    const floorMs = minFenceMarginMs(config.sip.timers.t1);
    if (config.workers.fenceMargin < floorMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['workers', 'fenceMargin'],
        message:
          `is ${durationText(config.workers.fenceMargin)}; must be at least ${durationText(floorMs)} ` +
          `(64·T1: a carrier resends an un-ACKed 2xx that long, so a shorter fence can ring a number twice)`,
      });
    }
    config.trunks.forEach((trunk, index) => {
      const transport = trunk.transport ?? config.sip.transport;
      if (transport === 'tls') return;
      for (const key of ['tls', 'sips'] as const) {
        if (trunk[key] === undefined || trunk[key] === false) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['trunks', index, key],
          message: `is set but the trunk's transport is ${transport}: set transport: tls`,
        });
      }
    });
    if (config.engine === 'drachtio' && config.drachtio?.tls === 'server') {
      config.trunks.forEach((trunk, index) => {
        if (trunk.tls === undefined) return;
        const keys = [
          ...TRUNK_TLS_KEYS_NOT_FOR_DRACHTIO.filter((key) => trunk.tls?.[key] !== undefined),
          ...(trunk.tls.rejectUnauthorized ? [] : ['rejectUnauthorized' as const]),
        ];
        for (const key of keys) {
          ctx.addIssue({
            code: 'custom',
            path: ['trunks', index, 'tls', key],
            message:
              'is not used with engine: drachtio and drachtio.tls: server: drachtio-server checks ' +
              "carriers' certificates with its own <tls> config, this process checks nothing",
          });
        }
      });
    }
    const { recordings, prompts, recordingsRetention } = config.media;
    if (recordingsRetention !== 0 && resolve(recordings) === resolve(prompts)) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'recordingsRetention'],
        message: `must be 0 while media.recordings is the prompts folder (${recordings}): the sweep would delete prompts`,
      });
    }
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
        nat: raw.sip.nat,
        keepAliveMs: raw.sip.keepAlive,
        tls: {
          keepAliveMs: raw.sip.tls.keepAlive,
          keepAliveTimeoutMs: raw.sip.tls.keepAliveTimeout,
          ...(raw.sip.tls.cert !== undefined && raw.sip.tls.key !== undefined
            ? { server: { certPath: raw.sip.tls.cert, keyPath: raw.sip.tls.key, port: raw.sip.tls.port } }
            : {}),
        },
      },
      media: {
        address: raw.media.address,
        ports: raw.media.ports,
        promptsDir: raw.media.prompts,
        recordingsDir: raw.media.recordings,
        recordingsRetentionMs: raw.media.recordingsRetention,
        deadCallMs: raw.media.deadCallTimeout,
        rtcpIntervalMs: raw.media.rtcpInterval,
      },
      trunks: raw.trunks.map((trunk): TrunkConfig => {
        const { registerExpires, dialFormats, concurrency, tls, ...rest } = trunk;
        return {
          ...withoutUndefined(rest),
          ...(tls !== undefined && { tls: withoutUndefined({ ...tls, insecure: undefined }) }),
          proxy: trunk.proxy ?? trunk.domain,
          transport: trunk.transport ?? raw.sip.transport,
          registerExpiresSec: Math.round(registerExpires / 1000),
          dialFormats: dialFormats ?? [{ format: 'e164' }],
          headers: Object.fromEntries(Object.entries(trunk.headers ?? {}).map(([k, v]) => [k, String(v)])),
          concurrency: concurrency ?? trunk.maxChannels,
        };
      }),
      defaults: callDefaultsOf(raw.defaults),
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
          perHostConcurrency:
            raw.callbacks.perHostConcurrency ?? Math.max(1, Math.floor(raw.callbacks.concurrency / 4)),
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
        trustProxy: raw.api.trustProxy,
        sessionTtlMs: raw.api.sessionTtl,
      },
    };
  });

// Optional settings are left out rather than present as undefined, so `'x' in trunk` and
// spreading into SIP options behave as if the key had never been written.
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Why a certificate and key (PEM files) cannot serve TLS, or undefined when they can. OpenSSL's
 * message names what it could not decode or match, never the key itself.
 */
function serverIdentityProblem(certPath: string, keyPath: string): string | undefined {
  try {
    tls.createSecureContext({ cert: readFileSync(certPath), key: readFileSync(keyPath) });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
