import { lstat, opendir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/index.js';

/** What recordingPath names a file: `<job id, made safe>-<attempt>.wav`. Nothing else is touched. */
const RECORDING_NAME = /^[A-Za-z0-9_~+-]+-\d+\.wav$/;
/** An hour between sweeps: retention is at least an hour, so a file outlives it by at most one. */
const DEFAULT_INTERVAL_MS = 3_600_000;

export interface RecordingSweeperOptions {
  /** `media.recordings`. */
  readonly dir: string;
  /** Files last changed longer ago than this are deleted; 0: the sweeper never runs. */
  readonly retentionMs: number;
  readonly logger: Logger;
  /** Between sweeps (jittered ±30 %). */
  readonly intervalMs?: number;
  /** The clock the age is measured on; tests move it instead of waiting. */
  readonly now?: () => number;
}

export interface RecordingSweep {
  readonly deleted: number;
  /** Files that could not be read or deleted (logged); they are tried again next sweep. */
  readonly failed: number;
}

/**
 * Deletes call recordings older than `media.recordingsRetention` from the recordings folder:
 * once when started, then every hour. Only regular files named as recordings are touched (no
 * symlink, no sub-folder, no prompt a careless config put beside them), and what goes wrong is
 * logged and left for the next sweep, never thrown at the worker.
 */
export class RecordingSweeper {
  readonly #o: RecordingSweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<RecordingSweep> | undefined;
  #closed = false;

  constructor(options: RecordingSweeperOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#closed || this.#timer !== undefined || this.#o.retentionMs === 0) return;
    this.#run(0);
  }

  #run(delayMs: number): void {
    this.#timer = setTimeout(() => {
      void this.sweepOnce().finally(() => {
        if (this.#closed) return;
        const base = this.#o.intervalMs ?? DEFAULT_INTERVAL_MS;
        this.#run(base * (0.7 + Math.random() * 0.6));
      });
    }, delayMs);
    // A sweep due is no reason to keep the process alive.
    this.#timer.unref();
  }

  /** One pass; a pass already running is joined rather than doubled. */
  sweepOnce(): Promise<RecordingSweep> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<RecordingSweep> {
    const { logger, retentionMs } = this.#o;
    const dir = resolve(this.#o.dir);
    const before = (this.#o.now ?? Date.now)() - retentionMs;
    let deleted = 0;
    let failed = 0;
    try {
      // Read as a stream: a folder of a million recordings is never listed whole in memory.
      for await (const entry of await opendir(dir)) {
        if (this.#closed) break;
        if (!entry.isFile() || !RECORDING_NAME.test(entry.name)) continue;
        const path = join(dir, entry.name);
        try {
          const stat = await lstat(path);
          if (!stat.isFile() || stat.mtimeMs >= before) continue;
          await unlink(path);
          deleted++;
        } catch (error) {
          // Gone already (another worker sweeping the same folder) is what we wanted.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          failed++;
          if (failed === 1) logger.warn({ err: error, path }, 'recording sweep could not delete a file');
        }
      }
    } catch (error) {
      // No folder: nothing was recorded (recording needs the folder made), so nothing to sweep.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { deleted, failed };
      logger.warn({ err: error, dir }, 'recording sweep could not read the recordings folder');
      return { deleted, failed: failed + 1 };
    }
    if (deleted > 0 || failed > 0)
      logger.info({ dir, deleted, failed, retentionMs }, 'recording sweep deleted old recordings');
    return { deleted, failed };
  }

  /** Stops the sweeps and waits for one under way. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => undefined);
  }
}
