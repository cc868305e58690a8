import wavefile from 'wavefile';
import { PromptError } from './prompt-error.js';
import { G711_SAMPLE_RATE } from './g711.js';

// wavefile is CommonJS: Node gives its exports only as the default import.
const { WaveFile } = wavefile;

/** WAVE format tags (RFC 2361) that need decoding before resampling. */
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_IMA_ADPCM = 17;

/** The fmt chunk fields we read; wavefile types the chunk as a bare `object`. */
interface FmtChunk {
  readonly audioFormat: number;
  readonly numChannels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
}

/**
 * Any common WAV (8/16/24/32-bit integer or float PCM, A-law, μ-law, IMA ADPCM; mono or more
 * channels; any rate) to mono 16-bit samples at 8 kHz. `name` only labels errors.
 */
export function wavToPcm8k(bytes: Uint8Array, name: string): Int16Array {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(bytes);
  } catch (error) {
    throw new PromptError(`prompt ${JSON.stringify(name)} is not a WAV file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const fmt = wav.fmt as FmtChunk;
  try {
    if (fmt.audioFormat === FORMAT_ALAW) wav.fromALaw('16');
    else if (fmt.audioFormat === FORMAT_MULAW) wav.fromMuLaw('16');
    else if (fmt.audioFormat === FORMAT_IMA_ADPCM) wav.fromIMAADPCM('16');
    else if (wav.bitDepth !== '16') wav.toBitDepth('16');
    if (fmt.sampleRate !== G711_SAMPLE_RATE) wav.toSampleRate(G711_SAMPLE_RATE);
  } catch (error) {
    throw new PromptError(
      `prompt ${JSON.stringify(name)} cannot be converted to 8 kHz (format ${fmt.audioFormat}, ${fmt.bitsPerSample} bit, ${fmt.sampleRate} Hz): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const channels = (wav.fmt as FmtChunk).numChannels;
  if (channels <= 1) return wav.getSamples(false, Int16Array) as unknown as Int16Array;
  // De-interleaved, getSamples gives one array per channel: mix them down.
  const perChannel = wav.getSamples(false, Int16Array) as unknown as Int16Array[];
  const length = perChannel[0]?.length ?? 0;
  const mono = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const channel of perChannel) sum += channel[i] ?? 0;
    mono[i] = Math.round(sum / perChannel.length);
  }
  return mono;
}
