import { writeTelephoneEvent } from './telephone-event.js';

/** RFC 4733 §2.5.1.4: the end packet goes out three times. */
const END_REPEATS = 3;

interface QueuedEvent {
  readonly code: number;
  /** How long the key is held, in timestamp units (8 kHz samples). */
  readonly durationUnits: number;
  readonly done: () => void;
  timestamp: number;
  elapsedUnits: number;
  started: boolean;
  endsSent: number;
}

/** What the RTP header of the event packet just written needs. */
export interface EventPacketStep {
  /** The event's start timestamp: every packet of one event carries it (§2.5.1.1). */
  readonly timestamp: number;
  /** The event's first packet: marked. */
  readonly first: boolean;
  /** A repeat of the end packet: the same sequence number as the one before (§2.5.1.4). */
  readonly repeat: boolean;
  /** The event's last packet: the digit is sent. */
  readonly done: boolean;
}

/**
 * Our outgoing RFC 4733 digits, in order: each packet of the current event, one per 20 ms tick,
 * until its three end packets went out. The session writes the RTP header and sends.
 */
export class TelephoneEventSender {
  readonly #queue: QueuedEvent[] = [];
  readonly #unitsPerTick: number;

  constructor(unitsPerTick: number) {
    this.#unitsPerTick = unitsPerTick;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Queues events `code`s, each held `durationUnits`; resolves when the last one's end went out. */
  enqueue(codes: readonly number[], durationUnits: number): Promise<void> {
    const sends = codes.map(
      (code) =>
        new Promise<void>((done) => {
          this.#queue.push({
            code,
            durationUnits,
            done,
            timestamp: 0,
            elapsedUnits: 0,
            started: false,
            endsSent: 0,
          });
        }),
    );
    return Promise.all(sends).then(() => undefined);
  }

  /** Drops every queued event, resolving their sends; how many there were. */
  dropAll(): number {
    const dropped = this.#queue.splice(0);
    for (const event of dropped) event.done();
    return dropped.length;
  }

  /** Writes the next event payload (TELEPHONE_EVENT_LENGTH bytes) at `offset`. Only while `pending`. */
  next(packet: Buffer, offset: number, timestamp: number): EventPacketStep {
    const event = this.#queue[0]!;
    const first = !event.started;
    if (first) {
      event.started = true;
      event.timestamp = timestamp;
    }
    event.elapsedUnits += this.#unitsPerTick;
    const end = event.elapsedUnits >= event.durationUnits;
    writeTelephoneEvent(packet, offset, {
      event: event.code,
      end,
      volume: 10,
      duration: Math.min(event.elapsedUnits, event.durationUnits),
    });
    let repeat = false;
    let done = false;
    if (end) {
      repeat = event.endsSent > 0;
      event.endsSent++;
      if (event.endsSent >= END_REPEATS) {
        this.#queue.shift();
        event.done();
        done = true;
      }
    }
    return { timestamp: event.timestamp, first, repeat, done };
  }
}
