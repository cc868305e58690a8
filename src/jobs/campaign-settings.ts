import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { validateCallingWindow, validateTimeZone, type CallingWindow } from '../compliance/index.js';
import { callerIdProblem, NAME_PATTERN } from '../kernel/index.js';
import { AMD_OPTION_NAMES, amdSettingProblem, type AmdSetting } from './amd-setting.js';
import { callbackUrlProblem } from './callback-url-problem.js';
import { callScriptSchema, type CallScript } from './dial-job.js';
import { InvalidCampaignError } from './invalid-campaign-error.js';
import type { RetryDelays } from './retry-policy.js';

/** What a campaign fixes for its calls; anything left out comes from the trunk and config defaults. */
export interface CampaignSettings {
  readonly trunk: string;
  readonly callerId?: string;
  /**
   * Caller IDs the campaign owns (E.164): each call presents the one sharing the longest prefix
   * with the callee's number in the callee's country (local presence), else `callerId`/the trunk's.
   */
  readonly callerIds?: readonly string[];
  /** Calls per caller ID of `callerIds` per UTC day, fleet-wide; at the cap the next match is used. */
  readonly callerIdDailyCap?: number;
  /** Withhold the caller ID from every callee (anonymous From, `Privacy: id`); a job's own wins. */
  readonly callerIdWithheld?: boolean;
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
  /** Answering-machine detection for the campaign's calls (a job's own `amd` wins). */
  readonly amd?: AmdSetting;
  /** What the campaign's answered calls do (a job's own script fields win, one by one). */
  readonly script?: CallScript;
}

/** What of a campaign's settings shapes each answered call: read by the worker at dial time. */
export type CampaignCallSettings = Pick<
  CampaignSettings,
  'amd' | 'script' | 'callerIdWithheld' | 'callerIds' | 'callerIdDailyCap'
>;

const MAX_DELAY_MS = 7 * 86_400_000;
const DELAY_FIELDS = ['busyMs', 'noAnswerMs', 'carrierErrorMs', 'machineMs'] as const;
const SETTING_FIELDS = new Set([
  'trunk',
  'callerId',
  'callerIds',
  'callerIdDailyCap',
  'callerIdWithheld',
  'defaultCountry',
  'window',
  'timeZone',
  'maxAttempts',
  'retryDelays',
  'ringTimeoutMs',
  'callbackUrl',
  'amd',
  'script',
]);

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidCampaignError(field, value, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const MAX_POOL = 1000;

/** A pool of caller IDs: E.164 each (the pick compares digits), by the one caller-ID rule, once each. */
function callerIdPool(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_POOL) {
    throw new InvalidCampaignError('callerIds', value, `expected a list of 1 to ${MAX_POOL} E.164 numbers`);
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const field = `callerIds[${i}]`;
    if (typeof entry !== 'string') throw new InvalidCampaignError(field, entry, 'expected a string');
    const problem = callerIdProblem(entry);
    if (problem !== undefined) throw new InvalidCampaignError(field, entry, problem);
    if (!E164.test(entry))
      throw new InvalidCampaignError(field, entry, 'expected E.164, e.g. +5534999990000');
    if (seen.has(entry)) throw new InvalidCampaignError(field, entry, 'is listed twice');
    seen.add(entry);
    return entry;
  });
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
  if (s.callerIds !== undefined) out.callerIds = callerIdPool(s.callerIds);
  if (s.callerIdDailyCap !== undefined) {
    if (s.callerIds === undefined)
      throw new InvalidCampaignError(
        'callerIdDailyCap',
        s.callerIdDailyCap,
        'needs callerIds to rotate through',
      );
    out.callerIdDailyCap = integerIn('callerIdDailyCap', s.callerIdDailyCap, 1, 1_000_000);
  }
  if (s.callerIdWithheld !== undefined) {
    if (typeof s.callerIdWithheld !== 'boolean')
      throw new InvalidCampaignError('callerIdWithheld', s.callerIdWithheld, 'expected true or false');
    out.callerIdWithheld = s.callerIdWithheld;
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
        'expected { busyMs?, noAnswerMs?, carrierErrorMs?, machineMs? }',
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
  if (s.amd !== undefined) {
    const problem = amdSettingProblem(s.amd);
    if (problem !== undefined) {
      const field = problem.field === '' ? 'amd' : `amd.${problem.field}`;
      const value =
        problem.field === '' ? s.amd : (s.amd as unknown as Record<string, unknown>)[problem.field];
      throw new InvalidCampaignError(field, value, problem.reason);
    }
    const timings = s.amd;
    out.amd =
      typeof timings === 'boolean'
        ? timings
        : Object.fromEntries(AMD_OPTION_NAMES.filter((k) => k in timings).map((k) => [k, timings[k]]));
  }
  if (s.script !== undefined) out.script = validateCampaignScript(s.script);
  return out;
}

/**
 * The job's script rule, applied to a campaign's: the first problem names its field
 * (`script.onMachine`). The parsed script has the schema's key order, so equal scripts serialise alike.
 */
function validateCampaignScript(script: unknown): CallScript {
  if (typeof script !== 'object' || script === null || Array.isArray(script)) {
    throw new InvalidCampaignError('script', script, 'expected an object');
  }
  const parsed = callScriptSchema.safeParse(script);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  let value: unknown = script;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const path = [...issue.path, key].join('.');
    throw new InvalidCampaignError(`script.${path}`, undefined, 'unknown script field');
  }
  const field = ['script', ...issue.path.map(String)].join('.');
  throw new InvalidCampaignError(field, value, issue.message);
}
