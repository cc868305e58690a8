import { randomInt } from 'node:crypto';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { SdpError } from './sdp-error.js';

export type G711Codec = 'PCMU' | 'PCMA';
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** The m= transport: plain RTP, or SRTP (RFC 3711 §12) keyed by `a=crypto`. */
export type SdpMediaProtocol = 'RTP/AVP' | 'RTP/SAVP';

/** RFC 3551 §6 static payload types of the codecs we speak. */
const STATIC_PAYLOAD_TYPES: Readonly<Record<G711Codec, number>> = { PCMU: 0, PCMA: 8 };
const G711_CLOCK_RATE = 8000;
/** The dynamic payload type we offer telephone-event (RFC 4733) at; 101 is what carriers expect. */
const TELEPHONE_EVENT_PAYLOAD_TYPE = 101;
const DIRECTIONS: readonly SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const DEFAULT_CODECS: readonly G711Codec[] = ['PCMU', 'PCMA'];
const PROTOCOLS: readonly SdpMediaProtocol[] = ['RTP/AVP', 'RTP/SAVP'];

export interface SdpOfferInput {
  /** IP literal we receive RTP on (the port pool's address): goes in o= and c=. */
  address: string;
  /** Our RTP port (even; RTCP is on rtpPort + 1 by RFC 3550 default, so no a=rtcp is written). */
  rtpPort: number;
  /** Numeric o= session id. Default: a fresh random one (48 bits, so it fits any int64 parser). */
  sessionId?: string | number;
  /** o= session version. Default 0. */
  sessionVersion?: number;
  /** Codecs in order of preference. Default `['PCMU', 'PCMA']`. */
  codecs?: readonly G711Codec[];
  /** Offer RFC 4733 DTMF events 0-16 at payload type 101. Default true. */
  telephoneEvent?: boolean;
  /**
   * Payload type for telephone-event instead of 101: an answer uses the offer's (RFC 3264 §6.1),
   * which a carrier picked.
   */
  telephoneEventPayloadType?: number;
  /** Packetisation time in ms. Default 20. */
  ptime?: number;
  /** Default `sendrecv`. */
  direction?: SdpDirection;
  /** Default `RTP/AVP`; `RTP/SAVP` when SRTP is required. */
  protocol?: SdpMediaProtocol;
  /** `a=crypto:` values (RFC 4568), in order of preference. They carry keys: never log the SDP unfiltered. */
  crypto?: readonly string[];
}

/** What we offered, so an answer can be matched against it. Defaults are the offer's defaults. */
export interface SdpOffered {
  codecs?: readonly G711Codec[];
  telephoneEvent?: boolean;
  /** The m= protocols an answer may use. Default `['RTP/AVP']`. */
  protocols?: readonly SdpMediaProtocol[];
  /**
   * Taken over the first one when the SDP lists it (an offer in the dialog: keep the codec the
   * call runs, RFC 3264 §8.3.2). Must be one of `codecs`.
   */
  prefer?: G711Codec;
}

export interface SdpAnswer {
  /** Where to send RTP: the audio m= block's c= address, else the session's. */
  address: string;
  port: number;
  /** The first codec in the answer's m= list that we offered (`prefer` when listed). */
  codec: { name: G711Codec; payloadType: number; clockRate: number };
  /** Present when we offered telephone-event and the answer kept it (at whatever payload type it chose). */
  telephoneEvent?: { payloadType: number };
  ptime?: number;
  /**
   * As the answerer wrote it (media level, else session level, else `sendrecv` per RFC 3264):
   * `sendonly` means they send and will not receive.
   */
  direction: SdpDirection;
  /** From `a=rtcp:` (RFC 3605). Absent means the RFC 3550 default, port + 1. */
  rtcpPort?: number;
  /** The address in `a=rtcp:`, when it names one. */
  rtcpAddress?: string;
  /**
   * The answerer does not want our media: c= is 0.0.0.0 or :: (RFC 2543 hold), or the direction
   * is `sendonly` or `inactive`. Reported, not an error: the call is up.
   */
  held: boolean;
  /** The m= line says `RTP/SAVP`: media is SRTP or nothing. */
  savp?: true;
  /** The audio block's `a=crypto:` values, as written (they carry keys: never logged). */
  crypto?: readonly string[];
}

// Offers with default options differ only in address, port and session id: keep the text per
// address and port (at most one per pre-bound port) and put a fresh session id in. Building one
// through sdp-transform costs ~20 µs, a tenth of a call's CPU at thousands of calls a second.
const OFFER_TEMPLATES = new Map<string, string>();
const MAX_TEMPLATES = 65_536;
const TEMPLATE_ID = '1';

/** An RFC 4566 / RFC 3264 audio offer for G.711 (+ telephone-event), CRLF line endings. */
export function buildSdpOffer(input: SdpOfferInput): string {
  const defaults = Object.keys(input).every((k) => k === 'address' || k === 'rtpPort');
  if (defaults) {
    const key = `${input.address}|${input.rtpPort}`;
    let template = OFFER_TEMPLATES.get(key);
    if (template === undefined) {
      template = buildOffer({ ...input, sessionId: TEMPLATE_ID });
      if (OFFER_TEMPLATES.size < MAX_TEMPLATES) OFFER_TEMPLATES.set(key, template);
    }
    return template.replace(`o=- ${TEMPLATE_ID} `, `o=- ${randomInt(1, 2 ** 48)} `);
  }
  return buildOffer(input);
}

function buildOffer(input: SdpOfferInput): string {
  const ipVer = isIP(input.address);
  if (ipVer === 0) {
    throw new SdpError(`offer address must be an IP literal, got ${JSON.stringify(input.address)}`);
  }
  if (!Number.isInteger(input.rtpPort) || input.rtpPort < 1 || input.rtpPort > 65535) {
    throw new SdpError(`offer rtpPort must be an integer in 1-65535, got ${String(input.rtpPort)}`);
  }
  const sessionId = input.sessionId ?? randomInt(1, 2 ** 48);
  if (!/^\d{1,20}$/.test(String(sessionId))) {
    throw new SdpError(`offer sessionId must be a non-negative integer, got ${JSON.stringify(sessionId)}`);
  }
  const sessionVersion = input.sessionVersion ?? 0;
  if (!Number.isSafeInteger(sessionVersion) || sessionVersion < 0) {
    throw new SdpError(`offer sessionVersion must be a non-negative integer, got ${String(sessionVersion)}`);
  }
  const codecs = input.codecs ?? DEFAULT_CODECS;
  if (codecs.length === 0 || codecs.some((c) => !(c in STATIC_PAYLOAD_TYPES))) {
    throw new SdpError(`offer codecs must be a non-empty list of PCMU/PCMA, got ${JSON.stringify(codecs)}`);
  }
  if (new Set(codecs).size !== codecs.length) {
    throw new SdpError(`offer codecs must not repeat, got ${JSON.stringify(codecs)}`);
  }
  const ptime = input.ptime ?? 20;
  if (!Number.isInteger(ptime) || ptime < 1) {
    throw new SdpError(`offer ptime must be a positive integer (ms), got ${String(ptime)}`);
  }
  const protocol = input.protocol ?? 'RTP/AVP';
  if (!PROTOCOLS.includes(protocol)) {
    throw new SdpError(`offer protocol must be one of ${PROTOCOLS.join('/')}, got ${String(protocol)}`);
  }
  const direction = input.direction ?? 'sendrecv';
  if (!DIRECTIONS.includes(direction)) {
    throw new SdpError(`offer direction must be one of ${DIRECTIONS.join('/')}, got ${String(direction)}`);
  }

  const eventPt = input.telephoneEventPayloadType ?? TELEPHONE_EVENT_PAYLOAD_TYPE;
  if (!Number.isInteger(eventPt) || eventPt < 96 || eventPt > 127) {
    throw new SdpError(
      `offer telephoneEventPayloadType must be a dynamic payload type (96-127), got ${String(eventPt)}`,
    );
  }

  const rtp: MediaDescription['rtp'] = codecs.map((codec) => ({
    payload: STATIC_PAYLOAD_TYPES[codec],
    codec,
    rate: G711_CLOCK_RATE,
  }));
  const fmtp: MediaDescription['fmtp'] = [];
  if (input.telephoneEvent ?? true) {
    rtp.push({ payload: eventPt, codec: 'telephone-event', rate: G711_CLOCK_RATE });
    fmtp.push({ payload: eventPt, config: '0-16' });
  }
  const description: SessionDescription = {
    version: 0,
    origin: {
      username: '-',
      sessionId: String(sessionId),
      sessionVersion,
      netType: 'IN',
      ipVer,
      address: input.address,
    },
    name: '-',
    connection: { version: ipVer, ip: input.address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: input.rtpPort,
        protocol: input.protocol ?? 'RTP/AVP',
        payloads: rtp.map((r) => r.payload).join(' '),
        rtp,
        fmtp,
        ptime,
        direction,
        ...(input.crypto !== undefined && input.crypto.length > 0
          ? { crypto: input.crypto.map(cryptoOf) }
          : {}),
      },
    ],
  };
  // sdp-transform writes CRLF line endings and RFC 4566 line order.
  return write(description);
}

/**
 * Reads the answer to our offer. Throws `SdpError` when there is nothing usable: no SDP, no audio
 * stream, a rejected stream (port 0), no connection address, or no codec we offered.
 */
export function parseSdpAnswer(sdp: string, offered: SdpOffered = {}): SdpAnswer {
  if (typeof sdp !== 'string' || !/^v=0\s*$/m.test(sdp.trimStart().split(/\r?\n/, 1)[0] ?? '')) {
    throw new SdpError('answer is not an SDP body: it does not start with a v=0 line');
  }
  const session = parse(sdp);
  const audio = session.media.find((m) => m.type === 'audio');
  if (audio === undefined) {
    throw new SdpError('answer has no m=audio line');
  }
  if (audio.port === 0) {
    throw new SdpError('answer rejected the audio stream (m=audio port 0)');
  }
  if (!Number.isInteger(audio.port) || audio.port < 1 || audio.port > 65535) {
    throw new SdpError(`answer m=audio port is not a valid port: ${String(audio.port)}`);
  }
  const protocols = offered.protocols ?? ['RTP/AVP'];
  const protocol = String(audio.protocol).toUpperCase();
  if (!(protocols as readonly string[]).includes(protocol)) {
    throw new SdpError(
      `answer m=audio protocol is ${String(audio.protocol)}, we offered ${protocols.join(' or ')}`,
    );
  }

  const connection = audio.connection ?? session.connection;
  if (connection === undefined) {
    throw new SdpError('answer has no c= line (neither in the audio m= block nor at session level)');
  }
  // Multicast c= carries /ttl; a unicast answer should not, but the address is what matters.
  const address = String(connection.ip).split('/')[0] ?? '';
  const addressOk = connection.version === 6 ? isIPv6(address) : isIPv4(address);
  if (!addressOk) {
    throw new SdpError(
      `answer c= address is not an IP${connection.version} literal: ${String(connection.ip)}`,
    );
  }

  const offeredCodecs = offered.codecs ?? DEFAULT_CODECS;
  const payloadTypes = String(audio.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '')
    .map(Number);
  const rtpmapOf = (pt: number): { name: string; rate: number | undefined } | undefined => {
    const mapped = audio.rtp.find((r) => r.payload === pt);
    if (mapped !== undefined) return { name: String(mapped.codec).toUpperCase(), rate: mapped.rate };
    const staticName = (Object.keys(STATIC_PAYLOAD_TYPES) as G711Codec[]).find(
      (c) => STATIC_PAYLOAD_TYPES[c] === pt,
    );
    return staticName === undefined ? undefined : { name: staticName, rate: G711_CLOCK_RATE };
  };

  let codec: SdpAnswer['codec'] | undefined;
  let preferred: SdpAnswer['codec'] | undefined;
  let telephoneEvent: SdpAnswer['telephoneEvent'];
  for (const pt of payloadTypes) {
    const map = rtpmapOf(pt);
    if (map === undefined) continue;
    const rate = map.rate ?? G711_CLOCK_RATE;
    if (rate === G711_CLOCK_RATE && (offeredCodecs as readonly string[]).includes(map.name)) {
      const found = { name: map.name as G711Codec, payloadType: pt, clockRate: rate };
      codec ??= found;
      if (preferred === undefined && found.name === offered.prefer) preferred = found;
    } else if (
      telephoneEvent === undefined &&
      (offered.telephoneEvent ?? true) &&
      map.name === 'TELEPHONE-EVENT' &&
      rate === G711_CLOCK_RATE
    ) {
      telephoneEvent = { payloadType: pt };
    }
  }
  if (codec === undefined) {
    const answered = payloadTypes.map((pt) => {
      const map = rtpmapOf(pt);
      return map === undefined ? String(pt) : `${pt} ${map.name}/${map.rate ?? '?'}`;
    });
    throw new SdpError(
      `answer has no codec in common with our offer: answered [${answered.join(', ')}], offered [${offeredCodecs.join(', ')}]`,
    );
  }
  if (preferred !== undefined) codec = preferred;

  const direction = audio.direction ?? session.direction ?? 'sendrecv';
  const answer: SdpAnswer = {
    address,
    port: audio.port,
    codec,
    direction,
    held:
      address === '0.0.0.0' || /^::?$/.test(address) || direction === 'sendonly' || direction === 'inactive',
  };
  if (telephoneEvent !== undefined) answer.telephoneEvent = telephoneEvent;
  if (protocol === 'RTP/SAVP') answer.savp = true;
  const crypto = (audio.crypto ?? []).map(
    (c) => `${c.id} ${c.suite} ${c.config}${c.sessionConfig !== undefined ? ` ${c.sessionConfig}` : ''}`,
  );
  if (crypto.length > 0) answer.crypto = crypto;
  if (audio.ptime !== undefined) {
    const ptime = Number(audio.ptime);
    if (Number.isFinite(ptime) && ptime > 0) answer.ptime = ptime;
  }
  if (audio.rtcp !== undefined) {
    const rtcpPort = Number(audio.rtcp.port);
    if (!Number.isInteger(rtcpPort) || rtcpPort < 1 || rtcpPort > 65535) {
      throw new SdpError(`answer a=rtcp port is not a valid port: ${String(audio.rtcp.port)}`);
    }
    answer.rtcpPort = rtcpPort;
    if (audio.rtcp.address !== undefined) answer.rtcpAddress = String(audio.rtcp.address);
  }
  return answer;
}

/** An `a=crypto:` value as sdp-transform writes it. */
function cryptoOf(value: string): NonNullable<MediaDescription['crypto']>[number] {
  const [id = '', suite = '', config = '', ...session] = value.trim().split(/\s+/);
  if (!/^\d+$/.test(id) || suite === '' || config === '') {
    // The value carries a key: name the field only.
    throw new SdpError('offer crypto must be "<tag> <suite> <key-params>" values');
  }
  return {
    id: Number(id),
    suite,
    config,
    ...(session.length > 0 ? { sessionConfig: session.join(' ') } : {}),
  };
}

const ORIGIN_LINE = /^o=(\S+) (\S+) (\d+) ([^\r\n]*)$/m;

/**
 * The same SDP with the o= session version incremented by one; every other byte unchanged
 * (arbitrarily large versions are handled exactly).
 *
 * The rule (RFC 3264 §8): bump only when the body changed. When a re-INVITE or UPDATE (e.g. a
 * session refresh) is answered with the same media, re-send the previous SDP verbatim, same
 * version; a carrier may treat a new version as a media change. `reviseSdp` applies the rule.
 */
export function bumpSdpVersion(sdp: string): string {
  const match = ORIGIN_LINE.exec(sdp);
  if (match === null) {
    throw new SdpError('cannot bump the SDP version: no valid o= line (o=<user> <id> <version> ...)');
  }
  const [line, username, sessionId, version, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const next = `o=${username} ${sessionId} ${(BigInt(version) + 1n).toString()} ${rest}`;
  return sdp.slice(0, match.index) + next + sdp.slice(match.index + line.length);
}

/**
 * The SDP to send after `previous` in the same session: `previous` itself when `updated` has the
 * same content (o= aside, line endings ignored), else `updated` carrying previous's o= line with
 * the version bumped, as RFC 3264 §8 requires.
 */
export function reviseSdp(previous: string, updated: string): string {
  const previousOrigin = ORIGIN_LINE.exec(previous);
  if (previousOrigin === null) {
    throw new SdpError('cannot revise the SDP: the previous SDP has no valid o= line');
  }
  const updatedOrigin = ORIGIN_LINE.exec(updated);
  if (updatedOrigin === null) {
    throw new SdpError('cannot revise the SDP: the updated SDP has no valid o= line');
  }
  const body = (sdp: string): string =>
    sdp
      .split(/\r\n|\r|\n/)
      .filter((l) => l !== '' && !l.startsWith('o='))
      .join('\n');
  if (body(previous) === body(updated)) return previous;
  const withPreviousOrigin =
    updated.slice(0, updatedOrigin.index) +
    previousOrigin[0] +
    updated.slice(updatedOrigin.index + updatedOrigin[0].length);
  return bumpSdpVersion(withPreviousOrigin);
}
