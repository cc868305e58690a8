export { dialAttemptsFor } from './dial-plan.js';
export {
  DIAL_FORMAT_NAMES,
  formatForDial,
  parseDialFormat,
  type DialFormat,
  type DialFormatName,
  type DialFormatSpec,
} from './dial-format.js';
export { InvalidDialFormatError } from './invalid-dial-format-error.js';
export { InvalidNumberError, type InvalidNumberReason } from './invalid-number-error.js';
export { InvalidRequestUriError } from './invalid-request-uri-error.js';
export { MAX_NUMBER_INPUT_LENGTH, normalizeNumber, type NormalizeNumberOptions } from './normalize-number.js';
export type { NormalizedNumber } from './normalized-number.js';
export { buildRequestUri } from './request-uri.js';
export { rankCallerIds } from './rank-caller-ids.js';
