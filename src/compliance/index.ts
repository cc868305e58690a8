export {
  callingTimeZone,
  nextCallingTime,
  validateCallingWindow,
  validateTimeZone,
  type CallingDecision,
  type CallingWindow,
} from './calling-hours.js';
export { InvalidCallingWindowError } from './invalid-calling-window-error.js';
export { countriesWithTimeZone, timeZoneForCountry } from './time-zone-for-country.js';
export { isValidTimeZone } from './zoned-time.js';
