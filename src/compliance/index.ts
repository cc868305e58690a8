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
export { ComplianceInputError } from './compliance-input-error.js';
export { CallerIdDailyCap } from './caller-id-daily-cap.js';
export { DailyAttemptCap, type DailyAttemptCount } from './daily-attempt-cap.js';
export {
  DncList,
  type DncBadLine,
  type DncCheck,
  type DncImportOptions,
  type DncImportReport,
  type DncNumberOptions,
} from './dnc-list.js';
