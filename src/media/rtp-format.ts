import { G711_SILENCE } from './g711.js';
import type { G711Codec } from './sdp.js';

/** Telephone-event we accept when the answer named none (what carriers use). */
const DEFAULT_TELEPHONE_EVENT_PT = 101;

/** A codec and the payload type it travels at. */
export interface RtpCodec {
  readonly name: G711Codec;
  readonly payloadType: number;
}

/**
 * What a call's RTP carries now: the audio codec and payload type we send and decode, and the
 * telephone-event payload type we send at (none: no DTMF out) and accept. An offer in the dialog
 * may switch them (RFC 3264 §8.3.2), from the next packet.
 */
export class RtpFormat {
  #codec: RtpCodec;
  /** The codec before the last switch: the far end's packets in flight may still carry it. */
  #previous: RtpCodec | undefined;
  #eventPt: number | undefined;
  #acceptEventPt: number;
  #silentFrame: Uint8Array | undefined;

  constructor(codec: RtpCodec, telephoneEventPayloadType?: number) {
    this.#codec = codec;
    this.#eventPt = telephoneEventPayloadType;
    this.#acceptEventPt = telephoneEventPayloadType ?? DEFAULT_TELEPHONE_EVENT_PT;
  }

  get codec(): G711Codec {
    return this.#codec.name;
  }

  get audioPayloadType(): number {
    return this.#codec.payloadType;
  }

  /** Where our DTMF goes; undefined when the far end took no telephone-event. */
  get eventPayloadType(): number | undefined {
    return this.#eventPt;
  }

  /** The payload type of the far end's events. */
  get acceptedEventPayloadType(): number {
    return this.#acceptEventPt;
  }

  /**
   * The codec of a received audio packet by its own payload type: the current one, or the one
   * before the last switch (the far end may send it for a moment after, RFC 3264 §8.3.2);
   * undefined for any other.
   */
  codecOfPayload(payloadType: number): G711Codec | undefined {
    if (payloadType === this.#codec.payloadType) return this.#codec.name;
    return payloadType === this.#previous?.payloadType ? this.#previous.name : undefined;
  }

  /** The codec's silence byte. */
  get silence(): number {
    return G711_SILENCE[this.#codec.name];
  }

  /** One 20 ms frame of encoded silence (made once per codec). */
  silentFrame(bytes: number): Uint8Array {
    this.#silentFrame ??= new Uint8Array(bytes).fill(this.silence);
    return this.#silentFrame;
  }

  /** Takes the new format; true when the audio codec or its payload type changed. */
  switchTo(codec: RtpCodec, telephoneEventPayloadType: number | undefined): boolean {
    const changed = codec.name !== this.#codec.name || codec.payloadType !== this.#codec.payloadType;
    if (changed) {
      this.#previous = this.#codec.payloadType !== codec.payloadType ? this.#codec : undefined;
      this.#codec = codec;
      this.#silentFrame = undefined;
    }
    this.#eventPt = telephoneEventPayloadType;
    this.#acceptEventPt = telephoneEventPayloadType ?? DEFAULT_TELEPHONE_EVENT_PT;
    return changed;
  }
}
