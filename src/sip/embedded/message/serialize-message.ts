import type { SipMessage } from './sip-message.js';
import { SipSerializeError } from './sip-serialize-error.js';
import { excerpt, isToken } from './sip-syntax.js';

/**
 * The wire form of a message: start line, headers in order (never folded), `Content-Length` set to
 * the body's byte length (any existing one is dropped), an empty line, then the body.
 *
 * Throws SipSerializeError rather than send something a peer would read differently from what we
 * meant: a CR, LF or NUL anywhere in the start line or a header value (header injection, §25.1
 * has no way to carry them), a header name or method that is not a token, a status outside
 * 100..699.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  let head: string;
  if (msg.type === 'request') {
    if (!isToken(msg.method)) throw new SipSerializeError('method', `not a token: ${excerpt(msg.method)}`);
    if (msg.uri === '' || hasWhitespaceOrControl(msg.uri)) {
      throw new SipSerializeError(
        'Request-URI',
        `empty or contains whitespace/control characters: ${excerpt(msg.uri)}`,
      );
    }
    head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  } else {
    if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) {
      throw new SipSerializeError('status', `${msg.status} is not in 100..699`);
    }
    checkValue('reason phrase', msg.reason);
    head = `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  }
  for (const [name, value] of msg.headers.entries()) {
    if (name === 'Content-Length') continue;
    if (!isToken(name)) throw new SipSerializeError('header name', `not a token: ${excerpt(name)}`);
    checkValue(`header ${name}`, value);
    head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;

  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headBytes);
  return out;
}

function checkValue(field: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) {
      const what = c === 0x0d ? 'CR' : c === 0x0a ? 'LF' : 'NUL';
      throw new SipSerializeError(field, `value contains ${what} at index ${i}: ${excerpt(value)}`);
    }
  }
}

function hasWhitespaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}
