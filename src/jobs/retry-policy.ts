import { CALL_DEFAULTS } from '../config/index.js';
import type { AttemptResult } from './attempt-result.js';
import { carrierBackoffMs, type BackoffJitter } from './carrier-backoff.js';
import { isFinalStatus } from './final-status.js';
import { InvalidRetryPolicyError } from './invalid-retry-policy-error.js';
import type { RetryDecision, TrunkSignal } from './retry-decision.js';
import {
  DEFAULT_RETRY_RULES,
  FORBIDDEN_AFTER_CREDENTIALS,
  isRetryRuleKey,
  TLS_CERTIFICATE,
  type RetryAction,
  type RetryDelayKind,
  type RetryRule,
} from './retry-rule.js';

export interface RetryDelays {
  readonly busyMs: number;
  readonly noAnswerMs: number;
  /** Ceiling of the first carrier-error retry; later ones double, with jitter. */
  readonly carrierErrorMs: number;
  /** Before calling a number a machine answered again (config `defaults.retryDelays.machine`). */
  readonly machineMs: number;
}

/** A resolved, frozen policy. Build with `buildRetryPolicy`, derive with `mergeRetryPolicy`. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly delays: RetryDelays;
  readonly carrierErrorMaxMs: number;
  readonly jitter: BackoffJitter;
  /** Reason phrases that mean "you are over your limits" whatever the code. `null` turns the check off. */
  readonly rateLimitPattern: RegExp | null;
  readonly rules: Readonly<Record<string, RetryRule>>;
}

/**
 * A change to one rule: an action alone (`'final'` keeps the rule's status but stops retrying;
 * `'retry'` retries it) or any fields of a rule, merged over the rule the key resolves to now.
 */
export type RetryRuleOverride = RetryAction | Partial<RetryRule>;

/** Config-shaped input: the table is the default one, changed by `overrides` keyed by code, class or pseudo-key. */
export interface RetryPolicyInput {
  readonly maxAttempts: number;
  readonly delays: RetryDelays;
  /** Default: 10 minutes, or `carrierErrorMs` when that is larger. */
  readonly carrierErrorMaxMs?: number;
  readonly jitter?: BackoffJitter;
  readonly rateLimitPattern?: RegExp | null;
  readonly overrides?: Readonly<Record<string, RetryRuleOverride>>;
}

/** What a campaign (or job) may change. */
export interface RetryPolicyOverride {
  readonly maxAttempts?: number;
  readonly delays?: Partial<RetryDelays>;
  readonly carrierErrorMaxMs?: number;
  readonly jitter?: BackoffJitter;
  readonly rateLimitPattern?: RegExp | null;
  readonly overrides?: Readonly<Record<string, RetryRuleOverride>>;
}

export interface RetryContext {
  /** Attempts made so far, this one included (1-based). Format fallbacks and holds do not count. */
  readonly attempt: number;
  /** Overrides `policy.maxAttempts` for this job. */
  readonly maxAttempts?: number;
  /** Dial formats not yet tried in this attempt. */
  readonly formatsLeft: number;
  /** Carrier errors in a row for this job, this one included. Default: `attempt`. */
  readonly consecutiveCarrierErrors?: number;
  /** Returns [0, 1); injected by tests. Default `Math.random`. */
  readonly random?: () => number;
}

const DEFAULT_CARRIER_ERROR_MAX_MS = 10 * 60_000;
// CPS, "rate limit", "call limit exceeded", "throttled", "too many calls".
const DEFAULT_RATE_LIMIT_PATTERN = /\b(?:cps|rate|limit|throttl|too many)/i;

const ACTIONS: readonly RetryAction[] = ['final', 'retry', 'next-format', 'hold'];
const DELAY_KINDS: readonly RetryDelayKind[] = ['busy', 'no-answer', 'carrier-error', 'machine'];
const TRUNK_SIGNALS: readonly TrunkSignal[] = [
  'ok',
  'carrier-error',
  'slow-down',
  'auth-failed',
  'auth-strike',
  'carrier-fault',
];
const JITTERS: readonly BackoffJitter[] = ['equal', 'full'];

/** @throws InvalidRetryPolicyError naming the field. */
export function buildRetryPolicy(input: RetryPolicyInput, field = 'retryPolicy'): RetryPolicy {
  const base: RetryPolicy = {
    maxAttempts: checkAttempts(input.maxAttempts, `${field}.maxAttempts`),
    delays: {
      busyMs: checkMs(input.delays?.busyMs, `${field}.delays.busyMs`),
      noAnswerMs: checkMs(input.delays?.noAnswerMs, `${field}.delays.noAnswerMs`),
      carrierErrorMs: checkMs(input.delays?.carrierErrorMs, `${field}.delays.carrierErrorMs`),
      machineMs: checkMs(input.delays?.machineMs, `${field}.delays.machineMs`),
    },
    carrierErrorMaxMs: DEFAULT_CARRIER_ERROR_MAX_MS,
    jitter: 'equal',
    rateLimitPattern: DEFAULT_RATE_LIMIT_PATTERN,
    rules: DEFAULT_RETRY_RULES,
  };
  const withDefaults: RetryPolicy = {
    ...base,
    carrierErrorMaxMs:
      input.carrierErrorMaxMs ?? Math.max(DEFAULT_CARRIER_ERROR_MAX_MS, base.delays.carrierErrorMs),
  };
  return mergeRetryPolicy(
    withDefaults,
    {
      ...(input.jitter === undefined ? {} : { jitter: input.jitter }),
      ...(input.rateLimitPattern === undefined ? {} : { rateLimitPattern: input.rateLimitPattern }),
      ...(input.overrides === undefined ? {} : { overrides: input.overrides }),
    },
    field,
  );
}

/**
 * The policy of a config that sets no `defaults` (CALL_DEFAULTS: 3 attempts, busy 5 min, no
 * answer 15 min, carrier errors from 30 s doubling up to 10 min, a machine again after 4 h).
 */
export const defaultRetryPolicy: RetryPolicy = buildRetryPolicy({
  maxAttempts: CALL_DEFAULTS.maxAttempts,
  delays: CALL_DEFAULTS.retryDelays,
});

/**
 * A new policy: `override` over `base`. Rule overrides apply to the rule each key resolves to in
 * `base` (so `'301': 'retry'` starts from the `3xx` row).
 * @throws InvalidRetryPolicyError naming the field.
 */
export function mergeRetryPolicy(
  base: RetryPolicy,
  override: RetryPolicyOverride,
  field = 'retryPolicy',
): RetryPolicy {
  const delays: RetryDelays = {
    busyMs: checkMs(override.delays?.busyMs ?? base.delays.busyMs, `${field}.delays.busyMs`),
    noAnswerMs: checkMs(override.delays?.noAnswerMs ?? base.delays.noAnswerMs, `${field}.delays.noAnswerMs`),
    carrierErrorMs: checkMs(
      override.delays?.carrierErrorMs ?? base.delays.carrierErrorMs,
      `${field}.delays.carrierErrorMs`,
    ),
    machineMs: checkMs(override.delays?.machineMs ?? base.delays.machineMs, `${field}.delays.machineMs`),
  };
  const carrierErrorMaxMs = checkMs(
    override.carrierErrorMaxMs ?? base.carrierErrorMaxMs,
    `${field}.carrierErrorMaxMs`,
  );
  if (carrierErrorMaxMs < delays.carrierErrorMs) {
    throw new InvalidRetryPolicyError(
      `${field}.carrierErrorMaxMs`,
      carrierErrorMaxMs,
      `must be at least delays.carrierErrorMs (${delays.carrierErrorMs})`,
    );
  }
  const jitter = override.jitter ?? base.jitter;
  if (!JITTERS.includes(jitter)) {
    throw new InvalidRetryPolicyError(`${field}.jitter`, jitter, `expected one of ${JITTERS.join(', ')}`);
  }
  const rateLimitPattern =
    override.rateLimitPattern === undefined ? base.rateLimitPattern : override.rateLimitPattern;
  if (rateLimitPattern !== null && !(rateLimitPattern instanceof RegExp)) {
    throw new InvalidRetryPolicyError(
      `${field}.rateLimitPattern`,
      rateLimitPattern,
      'expected a RegExp or null',
    );
  }

  const rules: Record<string, RetryRule> = { ...base.rules };
  for (const [key, change] of Object.entries(override.overrides ?? {})) {
    const where = `${field}.overrides.${key}`;
    if (!isRetryRuleKey(key)) {
      throw new InvalidRetryPolicyError(
        where,
        change,
        `key must be a SIP code (486), a class (4xx), transport, rate-limited, ${FORBIDDEN_AFTER_CREDENTIALS}, ${TLS_CERTIFICATE} or error`,
      );
    }
    rules[key] = applyRuleOverride(lookupRule(base.rules, key).rule, change, where);
  }

  return Object.freeze({
    maxAttempts: checkAttempts(override.maxAttempts ?? base.maxAttempts, `${field}.maxAttempts`),
    delays: Object.freeze(delays),
    carrierErrorMaxMs,
    jitter,
    rateLimitPattern,
    rules: Object.freeze(rules),
  });
}

/** Decides what happens to a job after one attempt. Pure: no clock, no I/O; randomness is injectable. */
export function decideRetry(result: AttemptResult, ctx: RetryContext, policy: RetryPolicy): RetryDecision {
  const what = describe(result);
  const amdKey = result.sit !== undefined ? sitKey(result.sit) : result.answeredBy;
  if (result.kind === 'answered' && amdKey === undefined) {
    return { action: 'done', status: 'answered', rule: 'answered', reason: 'answered', trunkSignal: 'ok' };
  }
  if (result.cancelCause === 'aborted') {
    return { action: 'done', status: 'cancelled', rule: 'aborted', reason: `${what}: cancelled by us` };
  }

  let { key, rule } = lookupRule(policy.rules, amdKey ?? ruleKeyFor(result));
  const remote = key !== 'transport' && key !== 'error' && key !== TLS_CERTIFICATE && amdKey === undefined;
  if (remote && rule.action !== 'hold' && rule.status !== 'answered' && mentionsRateLimit(result, policy)) {
    // The carrier refused our pace, not the callee: ending the job would lose a good number.
    if (rule.action === 'final') ({ key, rule } = lookupRule(policy.rules, 'rate-limited'));
    else rule = { ...rule, trunkSignal: 'slow-down' };
  }
  const signal = rule.trunkSignal === undefined ? {} : { trunkSignal: rule.trunkSignal };

  switch (rule.action) {
    case 'final':
      return { action: 'done', status: rule.status, rule: key, reason: `${what}: ${rule.status}`, ...signal };
    case 'hold':
      return {
        action: 'hold',
        status: rule.status,
        rule: key,
        reason: `${what}: ${rule.status}, job kept until the trunk recovers`,
        ...signal,
      };
    case 'next-format':
      if (ctx.formatsLeft > 0) {
        return {
          action: 'next-format',
          status: rule.status,
          rule: key,
          reason: `${what}: trying the next dial format`,
          ...signal,
        };
      }
      return {
        action: 'done',
        status: rule.status,
        rule: key,
        reason: `${what}: ${rule.status}, no dial format left`,
        ...signal,
      };
    case 'retry': {
      const maxAttempts = ctx.maxAttempts ?? policy.maxAttempts;
      if (ctx.attempt >= maxAttempts) {
        return {
          action: 'done',
          status: rule.status,
          rule: key,
          reason: `${what}: ${rule.status}, ${ctx.attempt} of ${maxAttempts} attempts used`,
          ...signal,
        };
      }
      const planned = delayFor(rule, ctx, policy);
      // Retry-After is the carrier's floor: never sooner, even past our cap.
      const delayMs = Math.max(planned, result.retryAfterMs ?? 0);
      return {
        action: 'retry',
        delayMs,
        status: rule.status,
        rule: key,
        reason: `${what}: ${rule.status}, retry in ${delayMs} ms${delayMs > planned ? ' (Retry-After)' : ''}`,
        ...signal,
      };
    }
  }
}

function sitKey(sit: string): string {
  return sit === 'unknown-sit' ? 'sit-unknown' : `sit-${sit}`;
}

function ruleKeyFor(result: AttemptResult): string {
  if (result.errorCode === 'TLS_CERTIFICATE_REJECTED') return TLS_CERTIFICATE;
  // Our ring timeout ended it even when the 487 never came back and the engine made one up.
  if (result.cancelCause === 'ring-timeout' && (result.local === true || result.status === undefined))
    return '487';
  if (result.local === true || result.phase === 'transport' || result.phase === 'resolve') return 'transport';
  if (result.kind === 'error' || result.status === undefined) return 'error';
  if (result.status === 403 && result.afterCredentials === true) return FORBIDDEN_AFTER_CREDENTIALS;
  return String(result.status);
}

function lookupRule(
  rules: Readonly<Record<string, RetryRule>>,
  key: string,
): { key: string; rule: RetryRule } {
  const exact = rules[key];
  if (exact !== undefined) return { key, rule: exact };
  if (/^[1-6][0-9][0-9]$/.test(key)) {
    const cls = `${key[0]}xx`;
    const byClass = rules[cls];
    if (byClass !== undefined) return { key: cls, rule: byClass };
  }
  // 1xx as a final result, or a table with its class rows removed: treat as our own failure.
  return { key: 'error', rule: rules.error ?? { status: 'failed', action: 'final' } };
}

function mentionsRateLimit(result: AttemptResult, policy: RetryPolicy): boolean {
  if (policy.rateLimitPattern === null || result.reason === undefined) return false;
  policy.rateLimitPattern.lastIndex = 0;
  return policy.rateLimitPattern.test(result.reason);
}

function delayFor(rule: RetryRule, ctx: RetryContext, policy: RetryPolicy): number {
  const kind = rule.delay ?? defaultDelayKind(rule);
  switch (kind) {
    case 'busy':
      return policy.delays.busyMs;
    case 'no-answer':
      return policy.delays.noAnswerMs;
    case 'machine':
      return policy.delays.machineMs;
    case 'carrier-error':
      return carrierBackoffMs(ctx.consecutiveCarrierErrors ?? ctx.attempt, {
        baseMs: policy.delays.carrierErrorMs,
        maxMs: policy.carrierErrorMaxMs,
        jitter: policy.jitter,
        random: ctx.random ?? Math.random,
      });
  }
}

function defaultDelayKind(rule: RetryRule): RetryDelayKind {
  if (rule.status === 'busy') return 'busy';
  if (rule.status === 'no-answer') return 'no-answer';
  if (rule.status === 'machine') return 'machine';
  return 'carrier-error';
}

function describe(result: AttemptResult): string {
  const parts = [result.status, result.reason].filter((p) => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join(' ') : result.kind;
}

function applyRuleOverride(base: RetryRule, change: RetryRuleOverride, where: string): RetryRule {
  const partial: Partial<RetryRule> = typeof change === 'string' ? { action: change } : change;
  if (partial === null || typeof partial !== 'object') {
    throw new InvalidRetryPolicyError(where, change, 'expected an action or a rule object');
  }
  for (const k of Object.keys(partial)) {
    if (k !== 'status' && k !== 'action' && k !== 'delay' && k !== 'trunkSignal') {
      throw new InvalidRetryPolicyError(
        `${where}.${k}`,
        (partial as Record<string, unknown>)[k],
        'unknown key',
      );
    }
  }
  const merged: RetryRule = { ...base, ...partial };
  if (!ACTIONS.includes(merged.action)) {
    throw new InvalidRetryPolicyError(
      `${where}.action`,
      merged.action,
      `expected one of ${ACTIONS.join(', ')}`,
    );
  }
  if (!isFinalStatus(merged.status)) {
    throw new InvalidRetryPolicyError(`${where}.status`, merged.status, 'not a final status');
  }
  if (merged.delay !== undefined && !DELAY_KINDS.includes(merged.delay)) {
    throw new InvalidRetryPolicyError(
      `${where}.delay`,
      merged.delay,
      `expected one of ${DELAY_KINDS.join(', ')}`,
    );
  }
  if (merged.trunkSignal !== undefined && !TRUNK_SIGNALS.includes(merged.trunkSignal)) {
    throw new InvalidRetryPolicyError(
      `${where}.trunkSignal`,
      merged.trunkSignal,
      `expected one of ${TRUNK_SIGNALS.join(', ')}`,
    );
  }
  return Object.freeze(merged);
}

function checkAttempts(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidRetryPolicyError(field, value, 'expected a whole number of at least 1');
  }
  return value;
}

function checkMs(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidRetryPolicyError(field, value, 'expected a number of milliseconds, 0 or more');
  }
  return value;
}
