import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { validateCallingWindow, validateTimeZone, type CallingWindow } from '../compliance/index.js';
import { callerIdProblem, NAME_PATTERN } from '../kernel/index.js';
import { callbackUrlProblem } from './callback-url-problem.js';
import { InvalidCampaignError } from './invalid-campaign-error.js';
import type { RetryDelays } from './retry-policy.js';

/** What a campaign fixes for its calls; anything left out comes from the trunk and config defaults. */
export interface CampaignSettings {
  readonly trunk: string;
  readonly callerId?: string;
  /** Country for numbers written without `+` and calling code; default: the trunk's. */
  readonly defaultCountry?: CountryCode;
  /** Calling hours in the callee's zone; none: any time. */
  readonly window?: CallingWindow;
  /** Overrides the zone derived from each number's country. */
  readonly timeZone?: string;
  readonly maxAttempts?: number;
  readonly retryDelays?: Partial<RetryDelays>;
  readonly ringTimeoutMs?: number;
  /** http(s) URL that receives the status events of the campaign's calls (a job's own URL wins). */
  readonly callbackUrl?: string;
}

const MAX_DELAY_MS = 7 * 86_400_000;
const DELAY_FIELDS = ['busyMs', 'noAnswerMs', 'carrierErrorMs'] as const;
const SETTING_FIELDS = new Set([
  'trunk',
  'callerId',
  'defaultCountry',
  'window',
  'timeZone',
  'maxAttempts',
  'retryDelays',
  'ringTimeoutMs',
  'callbackUrl',
]);

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidCampaignError(field, value, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** @throws InvalidCampaignError when `name` is not a valid campaign name. */
export function validateCampaignName(name: string, field = 'campaign'): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new InvalidCampaignError(field, name, `expected a name matching ${NAME_PATTERN}`);
  }
  return name;
}

/**
 * Checks settings and returns them in canonical form (fixed key order, no undefined fields, window
 * days sorted), so two equal settings serialise to the same JSON.
 * @throws InvalidCampaignError (or InvalidCallingWindowError for the window) naming the field.
 */
export function normalizeCampaignSettings(settings: CampaignSettings): CampaignSettings {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidCampaignError('settings', settings, 'expected an object');
  }
  for (const key of Object.keys(settings)) {
    if (!SETTING_FIELDS.has(key)) throw new InvalidCampaignError(key, undefined, 'unknown setting');
  }
  const s = settings;
  const out: { -readonly [K in keyof CampaignSettings]: CampaignSettings[K] } = {
    trunk: validateCampaignName(s.trunk, 'trunk'),
  };
  if (s.callerId !== undefined) {
    // A caller ID ends up in P-Asserted-Identity: the one rule for it decides.
    const problem = typeof s.callerId === 'string' ? callerIdProblem(s.callerId) : 'expected a string';
    if (problem !== undefined) throw new InvalidCampaignError('callerId', s.callerId, problem);
    out.callerId = s.callerId;
  }
  if (s.defaultCountry !== undefined) {
    if (typeof s.defaultCountry !== 'string' || !isSupportedCountry(s.defaultCountry)) {
      throw new InvalidCampaignError(
        'defaultCountry',
        s.defaultCountry,
        'expected an ISO 3166 alpha-2 country',
      );
    }
    out.defaultCountry = s.defaultCountry;
  }
  if (s.window !== undefined) {
    const w = validateCallingWindow(s.window);
    out.window = {
      ...(w.days === undefined ? {} : { days: [...w.days].sort((a, b) => a - b) }),
      start: w.start,
      end: w.end,
      ...(w.timeZone === undefined ? {} : { timeZone: w.timeZone }),
    };
  }
  if (s.timeZone !== undefined) out.timeZone = validateTimeZone(s.timeZone);
  if (s.maxAttempts !== undefined) out.maxAttempts = integerIn('maxAttempts', s.maxAttempts, 1, 20);
  if (s.retryDelays !== undefined) {
    if (typeof s.retryDelays !== 'object' || s.retryDelays === null) {
      throw new InvalidCampaignError(
        'retryDelays',
        s.retryDelays,
        'expected { busyMs?, noAnswerMs?, carrierErrorMs? }',
      );
    }
    const delays: Partial<Record<(typeof DELAY_FIELDS)[number], number>> = {};
    for (const key of Object.keys(s.retryDelays)) {
      if (!(DELAY_FIELDS as readonly string[]).includes(key)) {
        throw new InvalidCampaignError(`retryDelays.${key}`, undefined, 'unknown delay');
      }
    }
    for (const key of DELAY_FIELDS) {
      const value = s.retryDelays[key];
      if (value !== undefined) delays[key] = integerIn(`retryDelays.${key}`, value, 0, MAX_DELAY_MS);
    }
    out.retryDelays = delays;
  }
  if (s.ringTimeoutMs !== undefined)
    out.ringTimeoutMs = integerIn('ringTimeoutMs', s.ringTimeoutMs, 1000, 300_000);
  if (s.callbackUrl !== undefined) {
    const problem = callbackUrlProblem(s.callbackUrl);
    if (problem !== undefined) throw new InvalidCampaignError('callbackUrl', s.callbackUrl, problem);
    out.callbackUrl = s.callbackUrl;
  }
  return out;
}
