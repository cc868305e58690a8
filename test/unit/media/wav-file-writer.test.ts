import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WavFileWriter } from '../../../src/media/wav-file-writer.js';

// wavefile is CommonJS: Node gives its exports only as the default import.
const { WaveFile } = wavefile;

describe('WavFileWriter', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wav-writer-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('streams interleaved samples and writes the sizes in the header on close', async () => {
    const path = join(dir, 'stereo.wav');
    const writer = new WavFileWriter(path, 2);
    // 2.5 s in 20 ms frames: more than two of the writer's 1 s chunks, so some go out mid-call.
    const frame = new Int16Array(320);
    for (let f = 0; f < 125; f++) {
      for (let i = 0; i < 160; i++) {
        frame[2 * i] = f;
        frame[2 * i + 1] = -f;
      }
      writer.write(frame);
    }
    const result = await writer.close();
    expect(result).toEqual({ path, channels: 2, frames: 20_000, durationMs: 2500 });
    expect(await writer.close()).toBe(result);
    const bytes = await readFile(path);
    expect(bytes.length).toBe(44 + 20_000 * 4);
    const wav = new WaveFile(bytes);
    expect(wav.fmt).toMatchObject({ numChannels: 2, sampleRate: 8000, bitsPerSample: 16, audioFormat: 1 });
    const [left, right] = wav.getSamples(false, Int16Array) as unknown as [Int16Array, Int16Array];
    expect(left.length).toBe(20_000);
    expect(left[0]).toBe(0);
    expect(left[19_999]).toBe(124);
    expect(right[19_999]).toBe(-124);
  });

  it('an empty recording is a valid WAV with no frames', async () => {
    const path = join(dir, 'empty.wav');
    expect(await new WavFileWriter(path, 1).close()).toMatchObject({ frames: 0, durationMs: 0 });
    expect((await readFile(path)).readUInt32LE(40)).toBe(0);
  });

  it('never replaces a file already there, and reports why it wrote nothing', async () => {
    const path = join(dir, 'taken.wav');
    await writeFile(path, 'keep me');
    const writer = new WavFileWriter(path, 1);
    writer.write(new Int16Array(160));
    expect(await writer.close()).toEqual({ path, error: expect.stringMatching(/^EEXIST/) });
    expect(await readFile(path, 'utf8')).toBe('keep me');
  });

  it('a directory that is not there fails at close, without throwing on write', async () => {
    const path = join(dir, 'nowhere', 'x.wav');
    const writer = new WavFileWriter(path, 2);
    expect(() => writer.write(new Int16Array(320))).not.toThrow();
    expect(await writer.close()).toEqual({ path, error: expect.stringMatching(/^ENOENT/) });
    expect(existsSync(path)).toBe(false);
  });
});
