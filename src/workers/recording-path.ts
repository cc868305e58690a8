import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/** Characters a recording's name keeps from its job id; anything else becomes `_`. */
const UNSAFE = /[^A-Za-z0-9_~+-]/g;
const MAX_NAME_CHARS = 120;

/**
 * Where the recording of a job's attempt goes: `<dir>/<job id>-<attempt>.wav`. The job id can
 * hold what a producer wrote (an idempotency key), so the name keeps only letters, digits and
 * `_ ~ + -` (no dot, no slash: nothing can climb out of `dir` or hide), and when it had to change
 * or shorten the id it adds 8 hex digits of the id's SHA-256, so two ids never share a file.
 */
export function recordingPath(dir: string, jobId: string, attempt: number): string {
  let name = jobId.replace(UNSAFE, '_');
  if (name !== jobId || name.length > MAX_NAME_CHARS) {
    const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 8);
    name = `${name.slice(0, MAX_NAME_CHARS)}-${hash}`;
  }
  return join(resolve(dir), `${name}-${attempt}.wav`);
}
