import { Readable } from 'node:stream';
import { BodyTooLargeError } from './body-too-large-error.js';

/**
 * The body, failing with BodyTooLargeError past `limit` bytes (a chunked upload declares no
 * length). Pull-based: nothing is read from `source` before the consumer asks, so an error can
 * never fire before someone listens.
 */
export function limitBytes(source: AsyncIterable<Buffer | string>, limit: number): Readable {
  return Readable.from(
    (async function* (): AsyncGenerator<Buffer | string> {
      let seen = 0;
      for await (const chunk of source) {
        seen += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        if (seen > limit) throw new BodyTooLargeError(limit);
        yield chunk;
      }
    })(),
  );
}
