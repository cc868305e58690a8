import { canonicalHeaderName } from './header-names.js';
import { splitHeaderValues } from './split-header-values.js';

/**
 * Headers whose values may be comma-joined on one line (RFC 3261 §7.3.1). Others (WWW-Authenticate,
 * Date, …) contain commas of their own and are never split.
 */
const MULTI_VALUE = new Set([
  'Via',
  'Route',
  'Record-Route',
  'Contact',
  'Allow',
  'Supported',
  'Require',
  'Proxy-Require',
  'Unsupported',
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Allow-Events',
  'Content-Encoding',
  'In-Reply-To',
  'Path',
  'Service-Route',
  'P-Asserted-Identity',
]);

/** Ordered, case-insensitive SIP headers. Names are stored in canonical form (`Call-ID`, `CSeq`). */
export class SipHeaders {
  readonly #entries: Array<[string, string]> = [];

  constructor(entries?: Iterable<readonly [string, string]>) {
    if (entries) for (const [name, value] of entries) this.append(name, value);
  }

  /** First value of the header (the whole line for single-value headers). */
  get(name: string): string | undefined {
    const canonical = canonicalHeaderName(name);
    for (const [n, v] of this.#entries) if (n === canonical) return MULTI_VALUE.has(n) ? firstValue(v) : v;
    return undefined;
  }

  /** Every value, in order; comma-joined values of multi-value headers are split. */
  getAll(name: string): string[] {
    const canonical = canonicalHeaderName(name);
    const out: string[] = [];
    for (const [n, v] of this.#entries) {
      if (n !== canonical) continue;
      if (MULTI_VALUE.has(n)) out.push(...splitHeaderValues(v));
      else out.push(v);
    }
    return out;
  }

  has(name: string): boolean {
    const canonical = canonicalHeaderName(name);
    return this.#entries.some(([n]) => n === canonical);
  }

  /** Replaces every line of the header with one. */
  set(name: string, value: string): this {
    this.delete(name);
    return this.append(name, value);
  }

  append(name: string, value: string): this {
    this.#entries.push([canonicalHeaderName(name), value]);
    return this;
  }

  /** Adds the header before any existing line of the same name (a new top Via). */
  prepend(name: string, value: string): this {
    const canonical = canonicalHeaderName(name);
    const at = this.#entries.findIndex(([n]) => n === canonical);
    if (at === -1) this.#entries.push([canonical, value]);
    else this.#entries.splice(at, 0, [canonical, value]);
    return this;
  }

  delete(name: string): this {
    const canonical = canonicalHeaderName(name);
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (this.#entries[i]?.[0] === canonical) this.#entries.splice(i, 1);
    }
    return this;
  }

  entries(): IterableIterator<[string, string]> {
    return this.#entries[Symbol.iterator]();
  }

  get size(): number {
    return this.#entries.length;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.#entries);
  }

  /** Lower-cased names to values (repeated headers joined with `, `), for SipFailure and logs. */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [n, v] of this.#entries) {
      const key = n.toLowerCase();
      out[key] = out[key] === undefined ? v : `${out[key]}, ${v}`;
    }
    return out;
  }
}

function firstValue(value: string): string {
  return splitHeaderValues(value)[0] ?? value;
}

export interface SipRequest {
  readonly type: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function createRequest(
  method: string,
  uri: string,
  headers: SipHeaders = new SipHeaders(),
  body: Buffer = Buffer.alloc(0),
): SipRequest {
  return { type: 'request', method, uri, headers, body };
}

export function createResponse(
  status: number,
  reason: string,
  headers: SipHeaders = new SipHeaders(),
  body: Buffer = Buffer.alloc(0),
): SipResponse {
  return { type: 'response', status, reason, headers, body };
}
