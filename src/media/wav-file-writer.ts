import { open, unlink, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { G711_SAMPLE_RATE } from './g711.js';

const HEADER_BYTES = 44;
/** Samples are gathered into writes of about this many bytes (1 s of 16-bit stereo at 8 kHz). */
const CHUNK_BYTES = 32_000;
/**
 * Bytes waiting for the disk past which the writer gives up: a disk that slow would otherwise
 * grow the worker's memory for the whole call (30 s of stereo).
 */
const MAX_BACKLOG_BYTES = 1_000_000;
const LITTLE_ENDIAN = endianness() === 'LE';
/** RIFF sizes are 32-bit. */
const MAX_DATA_BYTES = 0xffff_ffff - HEADER_BYTES;

/** What a closed writer left on disk, or why it left nothing. */
export type WavFileResult =
  | { readonly path: string; readonly channels: number; readonly frames: number; readonly durationMs: number }
  | { readonly path: string; readonly error: string };

/**
 * A 16-bit PCM WAV at 8 kHz streamed to disk: samples are gathered into chunks of about a second
 * and written in order while the call goes on; the header's sizes are written on `close()`. The
 * first failure (open, write, disk full) stops it, removes the partial file and is reported by
 * `close()`; `write` never throws, so a failing disk cannot fail the caller's work.
 */
export class WavFileWriter {
  readonly path: string;
  readonly channels: number;
  #handle: Promise<FileHandle | undefined>;
  #chain: Promise<void>;
  #chunk: Buffer;
  #chunkUsed = 0;
  #backlog = 0;
  #dataBytes = 0;
  #fileOffset = HEADER_BYTES;
  #error: string | undefined;
  #closing: Promise<WavFileResult> | undefined;

  /** Opens `path` (never replacing a file already there) and writes a placeholder header. */
  constructor(path: string, channels: 1 | 2) {
    this.path = path;
    this.channels = channels;
    this.#chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#handle = open(path, 'wx').then(
      async (handle) => {
        try {
          await handle.write(wavHeader(channels, 0), 0, HEADER_BYTES, 0);
          return handle;
        } catch (error) {
          await handle.close().catch(() => undefined);
          this.#fail(error);
          return undefined;
        }
      },
      (error: unknown) => {
        this.#fail(error);
        return undefined;
      },
    );
    this.#chain = this.#handle.then(() => undefined);
  }

  /** The first failure, as `CODE: message`, once there was one. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Appends interleaved samples (one per channel per frame). Dropped once the writer failed. */
  write(samples: Int16Array): void {
    if (this.#error !== undefined || this.#closing !== undefined) return;
    const bytes = samples.length * 2;
    if (this.#dataBytes + bytes > MAX_DATA_BYTES) {
      this.#fail(new Error('the recording reached the largest size a WAV can hold (4 GiB)'));
      return;
    }
    this.#dataBytes += bytes;
    if (LITTLE_ENDIAN) {
      // WAV is little-endian, like the host: the samples' bytes are the file's bytes.
      const raw = Buffer.from(samples.buffer, samples.byteOffset, bytes);
      let done = 0;
      while (done < bytes) {
        const n = raw.copy(this.#chunk, this.#chunkUsed, done);
        done += n;
        this.#chunkUsed += n;
        if (this.#chunkUsed >= CHUNK_BYTES) this.#flush();
      }
      return;
    }
    for (let i = 0; i < samples.length; i++) {
      if (this.#chunkUsed + 2 > this.#chunk.length) this.#flush();
      this.#chunk.writeInt16LE(samples[i]!, this.#chunkUsed);
      this.#chunkUsed += 2;
    }
    if (this.#chunkUsed >= CHUNK_BYTES) this.#flush();
  }

  /**
   * Writes what is left and the header's sizes, and closes the file; on a failure removes it.
   * Idempotent: every call resolves with the same result. Never rejects.
   */
  close(): Promise<WavFileResult> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<WavFileResult> {
    if (this.#error === undefined) this.#flush();
    await this.#chain;
    const handle = await this.#handle;
    if (handle !== undefined) {
      if (this.#error === undefined) {
        try {
          await handle.write(wavHeader(this.channels, this.#dataBytes), 0, HEADER_BYTES, 0);
        } catch (error) {
          this.#fail(error);
        }
      }
      await handle.close().catch((error: unknown) => this.#fail(error));
      // A partial file with a wrong header is worse than none, and keeps taking space on a full disk.
      if (this.#error !== undefined) await unlink(this.path).catch(() => undefined);
    }
    if (this.#error !== undefined) return { path: this.path, error: this.#error };
    const frames = this.#dataBytes / (2 * this.channels);
    return {
      path: this.path,
      channels: this.channels,
      frames,
      durationMs: Math.round((frames * 1000) / G711_SAMPLE_RATE),
    };
  }

  #flush(): void {
    if (this.#chunkUsed === 0) return;
    const data = this.#chunk.subarray(0, this.#chunkUsed);
    this.#chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#chunkUsed = 0;
    this.#backlog += data.length;
    if (this.#backlog > MAX_BACKLOG_BYTES) {
      this.#fail(new Error(`the disk fell ${MAX_BACKLOG_BYTES} bytes behind the call`));
      return;
    }
    this.#chain = this.#chain.then(async () => {
      const handle = await this.#handle;
      if (handle === undefined || this.#error !== undefined) return;
      try {
        // Positioned writes: the header's own write at 0 does not move a file position either.
        let done = 0;
        while (done < data.length) {
          const { bytesWritten } = await handle.write(data, done, data.length - done, this.#fileOffset);
          if (bytesWritten === 0) throw new Error('the disk took no bytes');
          done += bytesWritten;
          this.#fileOffset += bytesWritten;
        }
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#backlog -= data.length;
      }
    });
  }

  #fail(error: unknown): void {
    if (this.#error !== undefined) return;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    this.#error = code !== undefined && !message.startsWith(code) ? `${code}: ${message}` : message;
  }
}

/** The canonical 44-byte header of 16-bit PCM at 8 kHz. */
function wavHeader(channels: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const blockAlign = channels * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(G711_SAMPLE_RATE, 24);
  header.writeUInt32LE(G711_SAMPLE_RATE * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
