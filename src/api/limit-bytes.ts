import { Transform } from 'node:stream';
import { BodyTooLargeError } from './body-too-large-error.js';

/** Passes a body through, failing with BodyTooLargeError past `limitBytes` (chunked uploads have no length). */
export function limitBytes(limitBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limitBytes) callback(new BodyTooLargeError(limitBytes));
      else callback(null, chunk);
    },
  });
}
