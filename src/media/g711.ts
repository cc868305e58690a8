import alawmulaw from 'alawmulaw';
import type { G711Codec } from './sdp.js';

// alawmulaw is CommonJS: Node gives its exports only as the default import.
const { alaw, mulaw } = alawmulaw;

/** G.711 is one byte per sample at 8 kHz: 160 bytes are 20 ms. */
export const G711_SAMPLE_RATE = 8000;

/** The code of a zero sample: what a silent frame is filled with. */
export const G711_SILENCE: Readonly<Record<G711Codec, number>> = {
  PCMU: mulaw.encodeSample(0) & 0xff,
  PCMA: alaw.encodeSample(0) & 0xff,
};

/** 16-bit linear samples at 8 kHz to G.711 bytes. */
export function encodeG711(samples: Int16Array, codec: G711Codec): Uint8Array {
  return codec === 'PCMU' ? mulaw.encode(samples) : alaw.encode(samples);
}

/** G.711 bytes to 16-bit linear samples. */
export function decodeG711(bytes: Uint8Array, codec: G711Codec): Int16Array {
  return codec === 'PCMU' ? mulaw.decode(bytes) : alaw.decode(bytes);
}

/** Audio a session can play in whichever G.711 codec the call runs at the moment (a `Prompt` is one). */
export interface G711Audio {
  /** The same audio in `codec`: one byte per sample, so the same length in each. */
  encoded(codec: G711Codec): Uint8Array;
}

/**
 * Bytes already in `codec` as `G711Audio`: in another codec they are transcoded once, through
 * linear, and kept (a call that switched codec mid-prompt goes on with the same audio).
 */
export function g711AudioOf(bytes: Uint8Array, codec: G711Codec): G711Audio {
  let other: Uint8Array | undefined;
  return {
    encoded(wanted) {
      if (wanted === codec) return bytes;
      other ??= encodeG711(decodeG711(bytes, codec), wanted);
      return other;
    },
  };
}
