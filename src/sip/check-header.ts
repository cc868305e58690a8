import {
  customHeaderNameProblem,
  duplicateHeaderName,
  isEngineOwnedHeader,
  SIP_TOKEN,
} from '../kernel/index.js';
import { HeaderValueError } from './header-value-error.js';

/** Refuses a caller-supplied header that is not a token name or whose value could inject lines. */
export function checkExtraHeader(name: string, value: string): void {
  if (!SIP_TOKEN.test(name)) throw new HeaderValueError(name, name, 'name is not a SIP token');
  if (isEngineOwnedHeader(name))
    throw new HeaderValueError(name, value, 'is set by the engine and cannot be overridden');
  if (/[\r\n\0]/.test(value)) throw new HeaderValueError(name, value, 'value contains CR, LF or NUL');
  if (value.length > 1024) throw new HeaderValueError(name, value, 'value is longer than 1024 characters');
}

/** The custom headers of one request: each checked, and no header named twice (`Subject`, `s`). */
export function checkExtraHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    const problem = customHeaderNameProblem(name);
    if (problem !== undefined) throw new HeaderValueError(name, value, problem);
    checkExtraHeader(name, value);
  }
  const duplicate = duplicateHeaderName(Object.keys(headers));
  if (duplicate)
    throw new HeaderValueError(duplicate.name, duplicate.name, `is the same header as ${duplicate.sameAs}`);
}
