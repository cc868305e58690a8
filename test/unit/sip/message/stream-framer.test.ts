import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, SipStreamFramer } from '../../../../src/sip/embedded/message/index.js';

function message(callId: string, body = ''): Buffer {
  return Buffer.from(
    [
      'OPTIONS sip:b@example.com SIP/2.0',
      'Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1',
      'From: <sip:a@example.com>;tag=1',
      'To: <sip:b@example.com>',
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      `l: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

const callIds = (frames: Buffer[]): Array<string | undefined> =>
  frames.map((f) => parseMessage(f).headers.get('Call-ID'));

describe('SipStreamFramer', () => {
  const stream = Buffer.concat([
    message('one', 'hello\r\n\r\nworld'),
    Buffer.from('\r\n\r\n'),
    message('two'),
    message('three', 'x'),
  ]);

  it('returns several messages from one chunk, skipping keep-alive CRLFs', () => {
    const framer = new SipStreamFramer();
    const frames = framer.push(Buffer.concat([Buffer.from('\r\n\r\n'), stream, Buffer.from('\r\n')]));
    expect(callIds(frames)).toEqual(['one', 'two', 'three']);
    expect(frames[0]?.equals(message('one', 'hello\r\n\r\nworld'))).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('gives the same messages when the stream is split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new SipStreamFramer();
      const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      expect(callIds(frames)).toEqual(['one', 'two', 'three']);
    }
  });

  it('handles a stream delivered one byte at a time', () => {
    const framer = new SipStreamFramer();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...framer.push(stream.subarray(i, i + 1)));
    expect(callIds(frames)).toEqual(['one', 'two', 'three']);
  });

  it('returns copies that later pushes do not overwrite', () => {
    const framer = new SipStreamFramer();
    const [first] = framer.push(message('one'));
    framer.push(message('two'));
    expect(first?.equals(message('one'))).toBe(true);
  });

  it('accepts bare-LF header blocks', () => {
    const lf = Buffer.from(message('lf', 'abc').toString().replace(/\r\n/g, '\n'));
    expect(callIds(new SipStreamFramer().push(lf))).toEqual(['lf']);
  });

  it('throws, and keeps throwing, when Content-Length is missing or bad', () => {
    const noLength = Buffer.from(message('x').toString().replace('l: 0\r\n', ''));
    const framer = new SipStreamFramer();
    expect(() => framer.push(noLength)).toThrow(/no Content-Length/);
    expect(() => framer.push(message('y'))).toThrow(SipParseError);
    expect(() =>
      new SipStreamFramer().push(Buffer.from(message('x').toString().replace('l: 0', 'l: -1'))),
    ).toThrow(/Content-Length/);
    expect(() =>
      new SipStreamFramer().push(Buffer.from(message('x').toString().replace('l: 0', 'l: 0\r\nl: 1'))),
    ).toThrow(/conflicting/);
  });

  it('throws when the header block or the whole message is over the limit', () => {
    const framer = new SipStreamFramer({ maxMessageBytes: 1000 });
    expect(() => {
      for (let i = 0; i < 2000; i++) framer.push(Buffer.from('X'));
    }).toThrow(/header block/);
    expect(() => new SipStreamFramer({ maxMessageBytes: 300 }).push(message('big', 'b'.repeat(200)))).toThrow(
      /exceeds the 300-byte limit/,
    );
    const exact = message('fits', 'b'.repeat(10));
    expect(new SipStreamFramer({ maxMessageBytes: exact.length }).push(exact)).toHaveLength(1);
  });

  it('close() is idempotent and drops buffered data', () => {
    const framer = new SipStreamFramer();
    framer.push(message('partial').subarray(0, 20));
    framer.close();
    framer.close();
    expect(framer.buffered).toBe(0);
    expect(framer.push(message('after'))).toEqual([]);
  });
});
