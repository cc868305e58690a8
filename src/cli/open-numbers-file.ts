import { constants, createReadStream, type ReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { UsageError } from './usage-error.js';

/**
 * The CSV of a new campaign, checked before anything is written to Redis: a mistyped path is
 * refused with exit 2 and leaves no empty campaign behind, instead of failing after the campaign
 * was created.
 */
export async function openNumbersFile(path: string): Promise<ReadStream> {
  try {
    await access(path, constants.R_OK);
    if (!(await stat(path)).isFile()) throw new UsageError(`--numbers ${path}: not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code);
    throw new UsageError(`--numbers ${path}: cannot read it (${why})`);
  }
  return createReadStream(path);
}
