import type { Readable } from 'node:stream';
import { UploadAbortedError } from '../jobs/index.js';
import { DialerError } from '../kernel/index.js';
import { limitBytes } from './limit-bytes.js';

/**
 * A request body for an import: BodyTooLargeError past `limit` bytes, UploadAbortedError when the
 * connection breaks off before the body's end (the client hung up, a timeout cut it), so the import
 * can tell a refusal from an abort. Stopping early leaves the request stream alive: destroying it
 * would take the socket, and the error response with it.
 */
export function uploadBody(body: Readable, limit: number): Readable {
  return limitBytes(untilAborted(body.iterator({ destroyOnReturn: false })), limit);
}

async function* untilAborted(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  try {
    yield* source;
  } catch (error) {
    // Reading a request body fails only when its connection does (`aborted`, ECONNRESET).
    if (error instanceof DialerError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new UploadAbortedError(detail, { cause: error });
  }
}
