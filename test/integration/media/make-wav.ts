import wavefile from 'wavefile';

// wavefile is CommonJS: Node gives its exports only as the default import.
const { WaveFile } = wavefile;

/** A WAV of a 440 Hz tone, `ms` long, in any rate, channel count and wavefile bit depth code. */
export function toneWav(options: {
  ms: number;
  rate: number;
  channels: number;
  bitDepth: string;
}): Uint8Array {
  const frames = Math.round((options.rate * options.ms) / 1000);
  const float = options.bitDepth === '32f' || options.bitDepth === '64';
  const full = float ? 0.5 : 2 ** (Number(options.bitDepth) - 1) / 2;
  const channel = Array.from({ length: frames }, (_, i) => {
    const v = Math.sin((2 * Math.PI * 440 * i) / options.rate) * full;
    return options.bitDepth === '8' ? Math.round(v + 128) : float ? v : Math.round(v);
  });
  const wav = new WaveFile();
  wav.fromScratch(
    options.channels,
    options.rate,
    options.bitDepth,
    options.channels === 1 ? channel : Array.from({ length: options.channels }, () => channel),
  );
  return wav.toBuffer();
}
