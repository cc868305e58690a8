import { parseContentLength } from './content-length.js';
import { canonicalHeaderName } from './header-names.js';
import { SipParseError } from './sip-parse-error.js';

export interface SipStreamFramerOptions {
  /** Largest message (header block + body) accepted on the connection (default 65535). */
  maxMessageBytes?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

/**
 * Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): a header block ended by an empty
 * line, then exactly Content-Length body bytes. CRLFs between messages (RFC 5626 keep-alive pings
 * and pongs) are skipped.
 *
 * There is no way to resynchronise a stream after a framing error, so once push() has thrown a
 * SipParseError (no or bad Content-Length, header block or message over the size limit) it throws
 * the same error on every later call: the caller closes the connection.
 *
 * Data is kept in one growing buffer and the search for the end of the header block resumes where
 * it stopped, so a message delivered one byte per chunk still costs time linear in its size.
 */
export class SipStreamFramer {
  readonly #max: number;
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Absolute index where the next search for the end of the header block starts. */
  #scan = 0;
  /** Length of the message being received once its header block is complete, else -1. */
  #frameLength = -1;
  #failure: SipParseError | undefined;
  #closed = false;

  constructor(options: SipStreamFramerOptions = {}) {
    this.#max = options.maxMessageBytes ?? 65535;
  }

  /** Bytes held that are not yet part of a returned message. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Adds bytes read from the socket; returns every message they complete (copies, safe to keep). */
  push(chunk: Buffer): Buffer[] {
    if (this.#failure) throw this.#failure;
    if (this.#closed) return [];
    this.#append(chunk);
    const messages: Buffer[] = [];
    try {
      for (;;) {
        if (this.#frameLength === -1) {
          const buf = this.#buf;
          while (this.#start < this.#end && (buf[this.#start] === 0x0d || buf[this.#start] === 0x0a))
            this.#start++;
          if (this.#start === this.#end) break;
          if (this.#scan < this.#start) this.#scan = this.#start;
          if (!this.#readHeaderBlock()) break;
        }
        if (this.#end - this.#start < this.#frameLength) break;
        const next = this.#start + this.#frameLength;
        messages.push(Buffer.from(this.#buf.subarray(this.#start, next)));
        this.#start = next;
        this.#scan = next;
        this.#frameLength = -1;
      }
    } catch (err) {
      this.#failure =
        err instanceof SipParseError ? err : new SipParseError('stream framing failed', { cause: err });
      this.#release();
      throw this.#failure;
    }
    this.#compact();
    return messages;
  }

  /** Drops buffered data; later pushes return nothing. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#release();
  }

  /** Finds the end of the header block; on success sets #frameLength and returns true. */
  #readHeaderBlock(): boolean {
    const view = this.#buf.subarray(0, this.#end);
    const crlf = view.indexOf(CRLFCRLF, this.#scan);
    const lf = view.indexOf(LFLF, this.#scan);
    let headEnd: number;
    let bodyStart: number;
    if (crlf !== -1 && (lf === -1 || crlf < lf)) {
      headEnd = crlf;
      bodyStart = crlf + 4;
    } else if (lf !== -1) {
      headEnd = lf;
      bodyStart = lf + 2;
    } else {
      if (this.#end - this.#start > this.#max) {
        throw new SipParseError(`header block longer than the ${this.#max}-byte message limit`);
      }
      // The terminator may straddle this chunk and the next: resume 3 bytes back.
      this.#scan = Math.max(this.#start, this.#end - 3);
      return false;
    }
    const headerBytes = bodyStart - this.#start;
    if (headerBytes > this.#max)
      throw new SipParseError(`header block of ${headerBytes} bytes exceeds the ${this.#max}-byte limit`);
    const length = contentLengthOf(view.toString('latin1', this.#start, headEnd));
    if (headerBytes + length > this.#max) {
      throw new SipParseError(`message of ${headerBytes + length} bytes exceeds the ${this.#max}-byte limit`);
    }
    this.#frameLength = headerBytes + length;
    return true;
  }

  #append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#end + chunk.length > this.#buf.length) {
      const held = this.#end - this.#start;
      const capacity = Math.max(held + chunk.length, this.#buf.length * 2, 4096);
      const grown = Buffer.allocUnsafe(capacity);
      this.#buf.copy(grown, 0, this.#start, this.#end);
      this.#shift(this.#start);
      this.#buf = grown;
    }
    chunk.copy(this.#buf, this.#end);
    this.#end += chunk.length;
  }

  /** Moves held bytes to the front once the consumed prefix is large, keeping appends cheap. */
  #compact(): void {
    if (this.#start === this.#end) {
      this.#start = this.#end = this.#scan = 0;
    } else if (this.#start > this.#buf.length >>> 1) {
      this.#buf.copy(this.#buf, 0, this.#start, this.#end);
      this.#shift(this.#start);
    }
  }

  #shift(by: number): void {
    this.#start -= by;
    this.#end -= by;
    this.#scan = Math.max(0, this.#scan - by);
  }

  #release(): void {
    this.#buf = Buffer.alloc(0);
    this.#start = this.#end = this.#scan = 0;
    this.#frameLength = -1;
  }
}

/** The Content-Length of a header block (compact `l` included, folded lines joined); required on streams. */
function contentLengthOf(head: string): number {
  let found: string | undefined;
  let collecting = false;
  let value = '';
  const finish = (): void => {
    const v = value.trim();
    if (found !== undefined && found !== v) {
      throw new SipParseError(
        `Content-Length: conflicting values ${JSON.stringify(found)} and ${JSON.stringify(v)}`,
      );
    }
    found = v;
    collecting = false;
  };
  let pos = head.indexOf('\n') + 1; // the start line has no Content-Length
  if (pos === 0) pos = head.length;
  while (pos < head.length) {
    let end = head.indexOf('\n', pos);
    if (end === -1) end = head.length;
    const line = head.slice(pos, end > pos && head.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    pos = end + 1;
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      if (collecting) value += ` ${line}`;
      continue;
    }
    if (collecting) finish();
    const colon = line.indexOf(':');
    if (colon === -1) continue; // parseMessage reports malformed lines with more context
    if (canonicalHeaderName(line.slice(0, colon).trim()) === 'Content-Length') {
      collecting = true;
      value = line.slice(colon + 1);
    }
  }
  if (collecting) finish();
  if (found === undefined)
    throw new SipParseError('no Content-Length: it is required on stream transports (RFC 3261 §18.3)');
  return parseContentLength(found);
}
