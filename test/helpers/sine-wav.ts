/** Tones as WAV files and back, to check what a peer heard over a real call. */

/** 16-bit mono PCM WAV of a sine at `hz`. */
export function sineWav(hz: number, ms: number): Buffer {
  const samples = (8000 * ms) / 1000;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++)
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)), 44 + i * 2);
  return wav;
}

/** The samples of a 16-bit PCM WAV (any chunk layout; the first channel of a stereo one). */
export function pcmOf(wav: Buffer): Int16Array {
  let offset = 12;
  let channels = 1;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') channels = wav.readUInt16LE(offset + 10);
    if (id === 'data') {
      const end = Math.min(wav.length, offset + 8 + size);
      const all = new Int16Array(
        wav.buffer.slice(wav.byteOffset + offset + 8, wav.byteOffset + end - ((end - offset - 8) % 2)),
      );
      return channels === 1 ? all : all.filter((_, i) => i % channels === 0);
    }
    offset += 8 + size + (size % 2);
  }
  return new Int16Array(0);
}

/** The frequency of a tone in `pcm` from the zero crossings of its loud 20 ms frames (a sine's is exact). */
export function toneOf(pcm: Int16Array): { hz: number; loudMs: number } {
  let crossings = 0;
  let loudFrames = 0;
  for (let f = 0; f + 160 <= pcm.length; f += 160) {
    const frame = pcm.subarray(f, f + 160);
    if (!frame.some((x) => Math.abs(x) > 1000)) continue;
    loudFrames++;
    for (let i = 1; i < frame.length; i++) if (frame[i - 1]! < 0 !== frame[i]! < 0) crossings++;
  }
  const loudMs = loudFrames * 20;
  return { hz: loudMs === 0 ? 0 : crossings / 2 / (loudMs / 1000), loudMs };
}
