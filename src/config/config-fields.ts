import { accessSync, constants, statSync } from 'node:fs';
import * as z from 'zod';
import { callerIdProblem } from '../kernel/index.js';
import { isHost } from './is-host.js';
import { parseCidr } from './parse-cidr.js';
import { parseHostPort } from './parse-host-port.js';
import { DURATION_EXPECTED, tryParseDuration } from './parse-duration.js';

/**
 * Field validators for the configuration schema. Each one reads `unknown` and says in its own
 * words what was expected, because zod's generic messages ("Invalid input") do not help an
 * operator fix a YAML file. Messages never contain the value: the formatter adds it, unless the
 * key holds a secret.
 */

/** What a field check returns: the parsed value, or a problem. */
export type Check<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const bad = <T>(problem: string): Check<T> => ({ ok: false, problem });

function run<T>(check: (value: unknown) => Check<T>, value: unknown, ctx: z.RefinementCtx): T {
  const result = check(value);
  if (result.ok) return result.value;
  ctx.addIssue({ code: 'custom', message: result.problem });
  return z.NEVER;
}

/** A field that must be present. */
export function required<T>(check: (value: unknown) => Check<T>) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): T => {
      if (value === undefined || value === null) {
        ctx.addIssue({ code: 'custom', message: 'is required' });
        return z.NEVER;
      }
      return run(check, value, ctx);
    });
}

/** A field that falls back to `fallback` (itself checked, so defaults are written as in YAML). */
export function withDefault<T>(check: (value: unknown) => Check<T>, fallback: unknown) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): T => run(check, value ?? fallback, ctx));
}

/** A field that may be absent; absent stays undefined. */
export function optional<T>(check: (value: unknown) => Check<T>) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): T | undefined => (value == null ? undefined : run(check, value, ctx)));
}

// YAML reads `+5534...` and `1234` as numbers; a hint saves a round trip.
const QUOTE_HINT = ' (quote it in YAML)';

/** A string without CR, LF or NUL: safe to put in a SIP header or a log line. */
export function text(options: { maxLength?: number; pattern?: RegExp; expected?: string } = {}) {
  return (value: unknown): Check<string> => {
    if (typeof value !== 'string') {
      return bad(`expected ${options.expected ?? 'a string'}${typeof value === 'number' ? QUOTE_HINT : ''}`);
    }
    if (/[\r\n\0]/.test(value)) return bad('must not contain CR, LF or NUL');
    if (value.length === 0) return bad('must not be empty');
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      return bad(`must be at most ${options.maxLength} characters`);
    }
    if (options.pattern !== undefined && !options.pattern.test(value)) {
      return bad(`expected ${options.expected ?? `a string matching ${String(options.pattern)}`}`);
    }
    return ok(value);
  };
}

/** A caller ID: a phone number or a sip:/tel: URI (the kernel's one rule). */
export function callerId(value: unknown): Check<string> {
  if (typeof value !== 'string')
    return bad(`expected a string${typeof value === 'number' ? QUOTE_HINT : ''}`);
  const problem = callerIdProblem(value);
  return problem === undefined ? ok(value) : bad(problem);
}

/** Any string, as-is (passwords: every byte counts and none is ever shown). */
export function secretText(value: unknown): Check<string> {
  if (typeof value !== 'string')
    return bad(`expected a string${typeof value === 'number' ? QUOTE_HINT : ''}`);
  if (value.length === 0) return bad('must not be empty');
  return ok(value);
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(choices: readonly T[]) {
  return (value: unknown): Check<T> =>
    typeof value === 'string' && (choices as readonly string[]).includes(value)
      ? ok(value as T)
      : bad(`expected one of ${choices.join(', ')}`);
}

/**
 * A number in [min, max]. Strings of digits are accepted because `${ENV}` substitution always
 * yields strings (`cps: ${CPS}`).
 */
export function number(options: { min: number; max: number; integer?: boolean }) {
  const kind = options.integer === true ? 'a whole number' : 'a number';
  return (value: unknown): Check<number> => {
    const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) return bad(`expected ${kind}`);
    if (options.integer === true && !Number.isInteger(n)) return bad(`expected ${kind}`);
    if (n < options.min || n > options.max)
      return bad(`expected ${kind} from ${options.min} to ${options.max}`);
    return ok(n);
  };
}

/** true/false, or the strings "true"/"false" (from `${ENV}`). */
export function boolean(value: unknown): Check<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (value === 'true' || value === 'false') return ok(value === 'true');
  return bad('expected true or false');
}

/** A duration (`30s`, `5m`, ms as a number) in milliseconds, within [minMs, maxMs]. */
export function duration(options: { minMs?: number; maxMs?: number } = {}) {
  return (value: unknown): Check<number> => {
    const ms = tryParseDuration(value);
    if (ms === undefined) return bad(DURATION_EXPECTED);
    if (options.minMs !== undefined && ms < options.minMs) return bad(`must be at least ${options.minMs}ms`);
    if (options.maxMs !== undefined && ms > options.maxMs) return bad(`must be at most ${options.maxMs}ms`);
    return ok(ms);
  };
}

/** An IP address or DNS name, no port. */
export function host(value: unknown): Check<string> {
  if (typeof value !== 'string') return bad('expected a host name or IP address');
  const unbracketed = /^\[(.*)\]$/.exec(value)?.[1] ?? value;
  return isHost(unbracketed) ? ok(unbracketed) : bad('expected a host name or IP address');
}

export interface HostAndPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` / `[v6]:port`, the port required and within [minPort, 65535]. */
export function hostAndPort(options: { minPort: number }) {
  const expected = 'expected host:port (IPv6 as "[::1]:5060", quoted in YAML)';
  return (value: unknown): Check<HostAndPort> => {
    const parsed = typeof value === 'string' ? parseHostPort(value) : undefined;
    if (parsed === undefined || !isHost(parsed.host) || parsed.port === undefined) return bad(expected);
    if (parsed.port < options.minPort || parsed.port > 65535) {
      return bad(`port must be from ${options.minPort} to 65535`);
    }
    return ok({ host: parsed.host, port: parsed.port });
  };
}

/** `host` or `host:port` as the user wrote it (kept as text: resolving it is the SIP layer's job). */
export function hostWithOptionalPort(value: unknown): Check<string> {
  const parsed = typeof value === 'string' ? parseHostPort(value) : undefined;
  if (typeof value !== 'string' || parsed === undefined || !isHost(parsed.host)) {
    return bad('expected host or host:port (IPv6 as "[::1]:5060")');
  }
  if (parsed.port !== undefined && (parsed.port < 1 || parsed.port > 65535)) {
    return bad('port must be from 1 to 65535');
  }
  return ok(value);
}

export interface PortRange {
  readonly minPort: number;
  readonly maxPort: number;
}

/** `20000-20999`: both ends within 1024..65535, min below max. */
export function portRange(value: unknown): Check<PortRange> {
  const match = typeof value === 'string' ? /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(value) : null;
  if (match === null) return bad('expected a port range "min-max", e.g. 20000-20999');
  const minPort = Number(match[1]);
  const maxPort = Number(match[2]);
  if (minPort < 1024 || maxPort > 65535) return bad('ports must be from 1024 to 65535');
  if (minPort >= maxPort) return bad('the first port must be below the second');
  return ok({ minPort, maxPort });
}

/** A redis:// or rediss:// URL. */
export function redisUrl(value: unknown): Check<string> {
  if (typeof value === 'string' && URL.canParse(value)) {
    const protocol = new URL(value).protocol;
    if (protocol === 'redis:' || protocol === 'rediss:') return ok(value);
  }
  return bad('expected a redis:// or rediss:// URL');
}

/** A network (`10.0.0.0/8`, `fd00::/8`), one address, or a host name: an allow-list entry. */
export function cidrOrHost(value: unknown): Check<string> {
  if (typeof value !== 'string' || value.length === 0)
    return bad('expected a CIDR (10.0.0.0/8), an IP address or a host name');
  if (value.includes('/') || /^[\d.]+$/.test(value) || value.includes(':')) {
    return parseCidr(value) !== undefined
      ? ok(value)
      : bad('expected a CIDR such as 10.0.0.0/8 or fd00::/8, with a prefix length the address family allows');
  }
  return isHost(value) ? ok(value.toLowerCase()) : bad('expected a CIDR, an IP address or a host name');
}

/** Names proxy-addr (fastify's `trustProxy`) knows for whole ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Which peers' `X-Forwarded-*` headers to believe: `false` (none), `true` (every peer: only when
 * nothing but the proxy can reach the server), or the proxies' addresses / CIDRs (also
 * `loopback`, `linklocal`, `uniquelocal`). Host names are refused: the check is on the socket's
 * address. A hop count is refused too: fastify ignores one (it cannot tell the proxy from a
 * client that sends the headers itself), so it would silently trust nothing.
 */
export function trustProxy(value: unknown): Check<boolean | readonly string[]> {
  const expected = 'expected false, true, or a list of proxy addresses / CIDRs (10.0.0.0/8, loopback)';
  // `${TRUST_PROXY}` from the environment arrives as text.
  if (value === 'true' || value === 'false') return ok(value === 'true');
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    return bad('a hop count cannot say which peer is the proxy: list the proxy addresses / CIDRs, or true');
  }
  const entries = typeof value === 'string' ? value.split(',').map((e) => e.trim()) : value;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 256) return bad(expected);
  const list: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const known =
      typeof entry === 'string' && (PROXY_RANGE_NAMES.includes(entry) || parseCidr(entry) !== undefined);
    if (!known) return bad(`entry ${i} (${JSON.stringify(entry)}): ${expected}`);
    list.push(entry);
  }
  return ok(list);
}

/**
 * A path to a file this process can read (a CA bundle, a certificate, a key), checked when the
 * config is loaded so a typo stops the worker at start, not at its first call. The content is
 * read by whoever uses it, so a private key never sits in the config object.
 */
export function readableFile(value: unknown): Check<string> {
  const checked = text({ maxLength: 4096 })(value);
  if (!checked.ok) return checked;
  try {
    if (!statSync(checked.value).isFile()) return bad('is not a file');
    accessSync(checked.value, constants.R_OK);
  } catch (error) {
    return bad(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  return ok(checked.value);
}
