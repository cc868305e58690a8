import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../../src/log/index.js';
import { RecordingSweeper } from '../../../src/workers/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('RecordingSweeper', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-sweeper-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A file whose last change was `ageMs` ago. */
  async function file(name: string, ageMs: number): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, 'RIFF');
    const at = (Date.now() - ageMs) / 1000;
    await utimes(path, at, at);
    return path;
  }

  it('deletes recordings older than the retention and nothing else in the folder', async () => {
    await file('job~1-1.wav', 31 * DAY);
    await file('u~0b6d-ab12cd34-2.wav', 40 * DAY);
    await file('job~2-1.wav', 29 * DAY);
    // Not named as a recording: a prompt someone keeps there, notes, a WAV with a dot in its name.
    await file('welcome.wav', 400 * DAY);
    await file('notes.txt', 400 * DAY);
    await file('a.b-1.wav', 400 * DAY);
    await mkdir(join(dir, 'old-1.wav'));
    await symlink(await file('target.bin', 400 * DAY), join(dir, 'link-1.wav'));
    const sweeper = new RecordingSweeper({ dir, retentionMs: 30 * DAY, logger: silentLogger() });
    expect(await sweeper.sweepOnce()).toStrictEqual({ deleted: 2, failed: 0 });
    expect((await readdir(dir)).sort()).toStrictEqual(
      [
        'a.b-1.wav',
        'job~2-1.wav',
        'link-1.wav',
        'notes.txt',
        'old-1.wav',
        'target.bin',
        'welcome.wav',
      ].sort(),
    );
    // The clock moves on: the younger one goes too.
    const later = new RecordingSweeper({
      dir,
      retentionMs: 30 * DAY,
      logger: silentLogger(),
      now: () => Date.now() + 2 * DAY,
    });
    expect(await later.sweepOnce()).toStrictEqual({ deleted: 1, failed: 0 });
    await Promise.all([sweeper.close(), later.close()]);
  });

  it('sweeps once when started, logs what it cannot read and never throws; close() is idempotent', async () => {
    await file('job~1-1.wav', 2 * HOUR);
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const sweeper = new RecordingSweeper({ dir, retentionMs: HOUR, logger, intervalMs: 60_000 });
    sweeper.start();
    sweeper.start();
    for (let i = 0; i < 200 && (await readdir(dir)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await readdir(dir)).toStrictEqual([]);
    await sweeper.close();
    await sweeper.close();
    sweeper.start();

    const missing = new RecordingSweeper({ dir: join(dir, 'none'), retentionMs: HOUR, logger });
    expect(await missing.sweepOnce()).toStrictEqual({ deleted: 0, failed: 0 });
    // media.recordings naming a file, not a folder: logged, counted, not thrown.
    const notFolder = new RecordingSweeper({ dir: await file('x', 0), retentionMs: HOUR, logger });
    expect(await notFolder.sweepOnce()).toStrictEqual({ deleted: 0, failed: 1 });
    expect(lines.join('')).toContain('recording sweep could not read the recordings folder');
  });
});
