import { isEngineOwnedHeader, SIP_TOKEN } from '../../headers/header-rules.js';
import { HeaderValueError } from './header-value-error.js';

/** Refuses a caller-supplied header that is not a token name or whose value could inject lines. */
export function checkExtraHeader(name: string, value: string): void {
  if (!SIP_TOKEN.test(name)) throw new HeaderValueError(name, name, 'name is not a SIP token');
  if (isEngineOwnedHeader(name))
    throw new HeaderValueError(name, value, 'is set by the engine and cannot be overridden');
  if (/[\r\n\0]/.test(value)) throw new HeaderValueError(name, value, 'value contains CR, LF or NUL');
  if (value.length > 1024) throw new HeaderValueError(name, value, 'value is longer than 1024 characters');
}
