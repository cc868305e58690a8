import { HeaderValueError } from './header-value-error.js';

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// Headers the engine owns: a caller setting them would corrupt the transaction or dialog.
const RESERVED = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'content-length',
  'max-forwards',
  'route',
  'record-route',
  'authorization',
  'proxy-authorization',
  'content-type',
]);

/** Refuses a caller-supplied header that is not a token name or whose value could inject lines. */
export function checkExtraHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new HeaderValueError(name, name, 'name is not a SIP token');
  if (RESERVED.has(name.toLowerCase()))
    throw new HeaderValueError(name, value, 'is set by the engine and cannot be overridden');
  if (/[\r\n\0]/.test(value)) throw new HeaderValueError(name, value, 'value contains CR, LF or NUL');
  if (value.length > 1024) throw new HeaderValueError(name, value, 'value is longer than 1024 characters');
}
