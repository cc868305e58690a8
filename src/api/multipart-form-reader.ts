import { ApiRequestError } from './api-request-error.js';

/** A part's head: its field name, and the file name when it is a file. */
export interface MultipartPartHead {
  readonly name: string;
  readonly filename?: string;
}

/** Most a part's headers may take. */
const MAX_HEAD_BYTES = 8 * 1024;

/**
 * Reads a multipart/form-data body (RFC 7578) part by part, as the client sends it and only as
 * far as asked: the caller can check the first part (the console's CSRF field) before a byte of a
 * later part is parsed, and a file part is streamed, never held whole. Pull-based over `source`.
 * A body that does not follow the format is an ApiRequestError naming `body`.
 */
export class MultipartFormReader {
  readonly #source: AsyncIterator<Buffer | string>;
  // Every part but the first is introduced by CRLF + `--boundary`; the body is read as if it began
  // with a CRLF so the first delimiter is found the same way.
  readonly #delimiter: Buffer;
  #buffer: Buffer = Buffer.from('\r\n');
  #ended = false;
  #started = false;
  /** True while a part's body has not been read to its end. */
  #inBody = false;

  constructor(source: AsyncIterable<Buffer | string>, boundary: string) {
    this.#source = source[Symbol.asyncIterator]();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** The boundary of a `multipart/form-data; boundary=…` content type, or undefined. */
  static boundaryOf(contentType: string | undefined): string | undefined {
    if (contentType === undefined) return undefined;
    const [type, ...params] = contentType.split(';');
    if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
    for (const param of params) {
      const match = /^\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s";]{1,70}))\s*$/i.exec(param);
      if (match) return match[1] ?? match[2];
    }
    return undefined;
  }

  /** The next part's head, or undefined after the last part. Skips what is left of the one before. */
  async nextPart(): Promise<MultipartPartHead | undefined> {
    if (this.#inBody) for await (const skipped of this.body()) void skipped;
    if (!this.#started) {
      await this.#skipPast(this.#delimiter, 'no opening boundary');
      this.#started = true;
    }
    await this.#fill(2);
    const next = this.#buffer.subarray(0, 2).toString('latin1');
    if (next === '--') return undefined;
    if (next !== '\r\n') throw malformed('expected CRLF after a boundary');
    this.#buffer = this.#buffer.subarray(2);
    const head = await this.#takeUntil(Buffer.from('\r\n\r\n'), MAX_HEAD_BYTES, 'part headers too long');
    this.#inBody = true;
    return parseHead(head.toString('utf8'));
  }

  /** The current part's value as text; more than `limit` bytes is refused, naming `field`. */
  async value(field: string, limit: number): Promise<string> {
    const bytes = await this.#takeUntil(this.#delimiter, limit, `longer than ${limit} bytes`, field);
    this.#inBody = false;
    return bytes.toString('utf8');
  }

  /** The current part's bytes as they arrive. */
  async *body(): AsyncGenerator<Buffer> {
    const keep = this.#delimiter.length - 1;
    for (;;) {
      const at = this.#buffer.indexOf(this.#delimiter);
      if (at >= 0) {
        const chunk = this.#buffer.subarray(0, at);
        this.#buffer = this.#buffer.subarray(at + this.#delimiter.length);
        this.#inBody = false;
        if (chunk.length > 0) yield chunk;
        return;
      }
      // All but a tail that may be the start of the delimiter can go now.
      if (this.#buffer.length > keep) {
        const chunk = this.#buffer.subarray(0, this.#buffer.length - keep);
        this.#buffer = this.#buffer.subarray(this.#buffer.length - keep);
        yield chunk;
      }
      if (!(await this.#more())) throw malformed('the body ended inside a part');
    }
  }

  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#source.next();
    if (next.done === true) {
      this.#ended = true;
      return false;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    return true;
  }

  async #fill(bytes: number): Promise<void> {
    while (this.#buffer.length < bytes) if (!(await this.#more())) throw malformed('the body ended early');
  }

  async #skipPast(marker: Buffer, reason: string): Promise<void> {
    for (;;) {
      const at = this.#buffer.indexOf(marker);
      if (at >= 0) {
        this.#buffer = this.#buffer.subarray(at + marker.length);
        return;
      }
      // A preamble is allowed but never kept.
      this.#buffer = this.#buffer.subarray(Math.max(0, this.#buffer.length - marker.length + 1));
      if (!(await this.#more())) throw malformed(reason);
    }
  }

  async #takeUntil(marker: Buffer, limit: number, reason: string, field = 'body'): Promise<Buffer> {
    for (;;) {
      const at = this.#buffer.indexOf(marker);
      if (at >= 0) {
        if (at > limit) break;
        const taken = this.#buffer.subarray(0, at);
        this.#buffer = this.#buffer.subarray(at + marker.length);
        return taken;
      }
      if (this.#buffer.length > limit + marker.length) break;
      if (!(await this.#more())) throw malformed('the body ended inside a part');
    }
    throw new ApiRequestError(field, undefined, reason);
  }
}

function malformed(reason: string): ApiRequestError {
  return new ApiRequestError('body', undefined, `not multipart/form-data as sent by a form: ${reason}`);
}

function parseHead(head: string): MultipartPartHead {
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    const value = line.slice(colon + 1);
    if (!/^\s*form-data\s*(;|$)/i.test(value)) break;
    const name = paramOf(value, 'name');
    if (name === undefined) break;
    const filename = paramOf(value, 'filename');
    return { name, ...(filename !== undefined && { filename }) };
  }
  throw malformed('a part without Content-Disposition: form-data; name=…');
}

/** A quoted (or bare) parameter of a Content-Disposition value; browsers escape `"` as %22. */
function paramOf(value: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}\\s*=\\s*(?:"([^"]*)"|([^\\s;]+))`, 'i').exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}
