import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeG711, encodeG711, G711_SILENCE, PromptCache, wavToPcm8k } from '../../../src/media/index.js';
import { toneWav } from '../../fixtures/media/make-wav.js';

const { WaveFile } = wavefile;

/** Strength of 440 Hz in `pcm` (8 kHz) relative to its energy: near 1 for a clean 440 Hz tone. */
function toneShare(pcm: Int16Array): number {
  let re = 0;
  let im = 0;
  let energy = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    re += v * Math.cos((2 * Math.PI * 440 * i) / 8000);
    im += v * Math.sin((2 * Math.PI * 440 * i) / 8000);
    energy += v * v;
  }
  return (2 * (re * re + im * im)) / (pcm.length * energy);
}

describe('wavToPcm8k', () => {
  it.each([
    ['8 kHz mono 16-bit', { rate: 8000, channels: 1, bitDepth: '16' }],
    ['44.1 kHz stereo 16-bit', { rate: 44100, channels: 2, bitDepth: '16' }],
    ['48 kHz mono 24-bit', { rate: 48000, channels: 1, bitDepth: '24' }],
    ['16 kHz mono 32-bit float', { rate: 16000, channels: 1, bitDepth: '32f' }],
    ['22.05 kHz mono 8-bit', { rate: 22050, channels: 1, bitDepth: '8' }],
  ])('%s becomes 8 kHz mono with the tone intact', (_, format) => {
    const pcm = wavToPcm8k(toneWav({ ms: 500, ...format }), 'tone');
    expect(pcm).toBeInstanceOf(Int16Array);
    expect(Math.abs(pcm.length - 4000)).toBeLessThanOrEqual(2);
    expect(toneShare(pcm)).toBeGreaterThan(0.9);
  });

  it.each(['toMuLaw', 'toALaw'] as const)('a G.711 WAV (%s) is decoded', (how) => {
    const wav = new WaveFile(toneWav({ ms: 500, rate: 8000, channels: 1, bitDepth: '16' }));
    wav[how]();
    const pcm = wavToPcm8k(wav.toBuffer(), 'g711');
    expect(pcm.length).toBe(4000);
    expect(toneShare(pcm)).toBeGreaterThan(0.9);
  });

  it('names the prompt when the bytes are not a WAV', () => {
    expect(() => wavToPcm8k(Buffer.from('not a wav at all'), 'hello.wav')).toThrow(
      expect.objectContaining({ code: 'MEDIA_PROMPT', message: expect.stringContaining('"hello.wav"') }),
    );
  });
});

describe('G.711', () => {
  it('silence is 0xFF in μ-law and 0xD5 in A-law, and both codecs round-trip within their step', () => {
    expect(G711_SILENCE).toEqual({ PCMU: 0xff, PCMA: 0xd5 });
    const samples = Int16Array.from([0, 100, -100, 1000, -1000, 12000, -32000]);
    for (const codec of ['PCMU', 'PCMA'] as const) {
      const back = decodeG711(encodeG711(samples, codec), codec);
      samples.forEach((s, i) =>
        expect(Math.abs(back[i]! - s)).toBeLessThanOrEqual(Math.max(16, Math.abs(s) / 16)),
      );
    }
  });
});

describe('PromptCache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prompt-cache-'));
    await writeFile(join(dir, 'hello.wav'), toneWav({ ms: 250, rate: 16000, channels: 1, bitDepth: '16' }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('converts once per process and encodes once per codec', async () => {
    const cache = new PromptCache({ directory: dir });
    const [a, b] = await Promise.all([cache.load('hello.wav'), cache.load('hello.wav')]);
    expect(a).toBe(b);
    expect(a.durationMs).toBe(250);
    const mu = a.encoded('PCMU');
    expect(mu).toHaveLength(2000);
    expect(a.encoded('PCMU')).toBe(mu);
    expect(a.encoded('PCMA')).not.toEqual(mu);
  });

  it('refuses names outside the directory, and does not cache a missing file', async () => {
    const cache = new PromptCache({ directory: dir });
    for (const name of ['../x.wav', '/etc/passwd', '', 'a/../../x.wav']) {
      await expect(cache.load(name)).rejects.toMatchObject({ code: 'MEDIA_PROMPT' });
    }
    await expect(cache.load('later.wav')).rejects.toThrow(/"later.wav" cannot be read.*ENOENT/);
    await writeFile(join(dir, 'later.wav'), toneWav({ ms: 100, rate: 8000, channels: 1, bitDepth: '16' }));
    expect((await cache.load('later.wav')).durationMs).toBe(100);
  });

  it('refuses a prompt above the length limit', async () => {
    const cache = new PromptCache({ directory: dir, maxDurationMs: 100 });
    await expect(cache.load('hello.wav')).rejects.toThrow(/lasts 250 ms, above the 100 ms limit/);
  });
});
