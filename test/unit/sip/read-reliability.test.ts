import { describe, expect, it } from 'vitest';
import { parseMessage, type SipResponse } from '../../../src/sip/embedded/message/index.js';
import { readReliability } from '../../../src/sip/embedded/read-reliability.js';

function response(status: number, extra: string[]): SipResponse {
  const text = [
    `SIP/2.0 ${status} Whatever`,
    'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKabc',
    'From: <sip:a@carrier.test>;tag=1',
    'To: <sip:b@carrier.test>;tag=2',
    'Call-ID: x@127.0.0.1',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipResponse;
}

describe('readReliability (RFC 3262)', () => {
  it('asks for a PRACK when the provisional requires 100rel and numbers itself', () => {
    expect(readReliability(response(183, ['Require: 100rel', 'RSeq: 7']))).toEqual({
      kind: 'reliable',
      rseq: 7,
    });
    expect(readReliability(response(180, ['Require: timer, 100REL', 'RSeq: 4294967295']))).toEqual({
      kind: 'reliable',
      rseq: 4294967295,
    });
  });

  it('treats a provisional without Require: 100rel, or with no usable RSeq, as unreliable', () => {
    expect(readReliability(response(183, ['RSeq: 1']))).toEqual({ kind: 'unreliable' });
    expect(readReliability(response(183, ['Require: 100rel']))).toEqual({ kind: 'unreliable' });
    expect(readReliability(response(183, ['Require: 100rel', 'RSeq: 0']))).toEqual({ kind: 'unreliable' });
    expect(readReliability(response(183, ['Require: 100rel', 'RSeq: 4294967296']))).toEqual({
      kind: 'unreliable',
    });
    expect(readReliability(response(183, ['Require: 100rel', 'RSeq: 1x']))).toEqual({ kind: 'unreliable' });
    // 100 is hop-by-hop and final responses are acknowledged otherwise (§3).
    expect(readReliability(response(100, ['Require: 100rel', 'RSeq: 1']))).toEqual({ kind: 'unreliable' });
    expect(readReliability(response(200, ['Require: 100rel', 'RSeq: 1']))).toEqual({ kind: 'unreliable' });
  });

  it('names every extension required that we do not support', () => {
    expect(
      readReliability(response(183, ['Require: 100rel, precondition', 'Require: foo', 'RSeq: 1'])),
    ).toEqual({
      kind: 'unsupported',
      extensions: ['precondition', 'foo'],
    });
  });
});
