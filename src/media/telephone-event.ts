/** A DTMF digit as RFC 4733 §3.2 numbers them: 0-9, * (10), # (11), A-D (12-15). */
export type DtmfDigit =
  '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

const DIGITS = '0123456789*#ABCD';

/** The telephone-event code of a digit, or `undefined` for anything else. Lower-case a-d accepted. */
export function dtmfEventCode(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const code = DIGITS.indexOf(digit.toUpperCase());
  return code === -1 ? undefined : code;
}

/** The digit of an event code 0-15; `undefined` for other events (flash, tones). */
export function dtmfDigitOf(code: number): DtmfDigit | undefined {
  return code >= 0 && code < DIGITS.length ? (DIGITS[code] as DtmfDigit) : undefined;
}

/** The 4-byte telephone-event payload (RFC 4733 §2.3). */
export interface TelephoneEvent {
  readonly event: number;
  readonly end: boolean;
  /** 0-63, as -dBm0. */
  readonly volume: number;
  /** In timestamp units (1/8000 s), since the event began. */
  readonly duration: number;
}

export const TELEPHONE_EVENT_LENGTH = 4;

export function parseTelephoneEvent(buf: Buffer, offset: number, length: number): TelephoneEvent | undefined {
  if (length < TELEPHONE_EVENT_LENGTH) return undefined;
  const flags = buf[offset + 1]!;
  return {
    event: buf[offset]!,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: buf.readUInt16BE(offset + 2),
  };
}

export function writeTelephoneEvent(buf: Buffer, offset: number, event: TelephoneEvent): void {
  buf[offset] = event.event;
  buf[offset + 1] = (event.end ? 0x80 : 0) | (event.volume & 0x3f);
  buf.writeUInt16BE(Math.min(event.duration, 0xffff), offset + 2);
}
