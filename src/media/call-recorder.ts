import { decodeG711 } from './g711.js';
import type { RtpSession } from './rtp-session.js';
import { WavFileWriter, type WavFileResult } from './wav-file-writer.js';

/** What a call's recording holds: the callee alone, or the callee and what we played. */
export type RecordingMode = 'callee' | 'both';

const FRAME_SAMPLES = 160;
/**
 * Callee audio held back waiting for our clock, at most (200 ms). The far end's clock runs a
 * little fast or slow against ours; past this the oldest audio is dropped rather than letting the
 * delay between the channels grow for the whole call.
 */
const MAX_QUEUED_SAMPLES = 10 * FRAME_SAMPLES;

/**
 * Records one call's RTP to a WAV (8 kHz 16-bit PCM, decoded from G.711): `callee` as one
 * channel, `both` as two (1: the callee, 2: what we played). The timeline is our own 20 ms send
 * clock (the session's `sent` frames), so the file is as long as the call, lost or late packets
 * are silence and the two channels stay aligned to within the far end's jitter.
 */
export class CallRecorder {
  readonly mode: RecordingMode;
  readonly #session: RtpSession;
  readonly #writer: WavFileWriter;
  /** Callee samples received and not yet written. */
  #queue = new Int16Array(MAX_QUEUED_SAMPLES + FRAME_SAMPLES * 4);
  #queued = 0;
  readonly #frame: Int16Array;
  #closed = false;

  constructor(session: RtpSession, path: string, mode: RecordingMode) {
    this.mode = mode;
    this.#session = session;
    this.#writer = new WavFileWriter(path, mode === 'both' ? 2 : 1);
    this.#frame = new Int16Array(FRAME_SAMPLES * (mode === 'both' ? 2 : 1));
    session.on('audio', this.#onAudio);
    session.on('sent', this.#onSent);
  }

  get path(): string {
    return this.#writer.path;
  }

  /** Stops recording and completes the file. Idempotent; never rejects (a failure is in the result). */
  close(): Promise<WavFileResult> {
    if (!this.#closed) {
      this.#closed = true;
      this.#session.off('audio', this.#onAudio);
      this.#session.off('sent', this.#onSent);
    }
    return this.#writer.close();
  }

  readonly #onAudio = (pcm: Int16Array): void => {
    if (this.#queued + pcm.length > this.#queue.length) {
      const keep = Math.max(0, MAX_QUEUED_SAMPLES - pcm.length);
      this.#queue.copyWithin(0, this.#queued - keep, this.#queued);
      this.#queued = keep;
    }
    const n = Math.min(pcm.length, this.#queue.length - this.#queued);
    this.#queue.set(pcm.subarray(pcm.length - n), this.#queued);
    this.#queued += n;
  };

  readonly #onSent = (payload: Uint8Array): void => {
    if (this.#writer.error !== undefined) return;
    const take = Math.min(FRAME_SAMPLES, this.#queued);
    const frame = this.#frame;
    if (this.mode === 'callee') {
      frame.set(this.#queue.subarray(0, take));
      frame.fill(0, take);
    } else {
      // `sent` frames are in the codec of the packet just sent, which an offer may have switched.
      const played = decodeG711(payload, this.#session.codec);
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        frame[2 * i] = i < take ? this.#queue[i]! : 0;
        frame[2 * i + 1] = played[i] ?? 0;
      }
    }
    this.#queue.copyWithin(0, take, this.#queued);
    this.#queued -= take;
    this.#writer.write(frame);
  };
}
