import { z } from 'zod';
import { callerIdProblem, NAME_PATTERN } from '../kernel/index.js';
import { amdSettingProblem, type AmdSetting } from './amd-setting.js';
import { callbackUrlProblem } from './callback-url-problem.js';

/** `amd`: the one rule of amd-setting.ts, its problem reported at the option it names. */
export const amdSettingSchema = z.custom<AmdSetting>().superRefine((value, ctx) => {
  const problem = amdSettingProblem(value);
  if (problem !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: problem.reason,
      path: problem.field === '' ? [] : [problem.field],
    });
  }
});

/**
 * What an answered call does. With `play` or `collect`, the call ends when they are done (the
 * prompt played `repeat` times, then digits collected); `hangupAfterMs` caps the call's length
 * from the answer either way, and alone it is the call's length. With none of them the call lasts
 * until the far end hangs up or the max call length.
 */
export const callScriptSchema = z
  .object({
    /** A WAV file relative to the worker's prompts directory; checked before the INVITE leaves. */
    play: z.string().max(512).optional(),
    /** Times the prompt plays. Default 1. */
    repeat: z.number().int().min(1).max(100).optional(),
    /**
     * Digits (RFC 4733 or SIP INFO) heard during the prompt (the first one stops it) and after it;
     * `timeoutMs` is the wait for the next digit once the prompt is over.
     */
    collect: z
      .object({
        maxDigits: z.number().int().min(1).max(64),
        timeoutMs: z.number().int().min(100).max(600_000),
        terminator: z
          .string()
          .regex(/^[0-9*#]$/)
          .optional(),
      })
      .strict()
      .optional(),
    hangupAfterMs: z.number().int().min(0).max(86_400_000).optional(),
    /**
     * With `amd` on, what a machine gets: `hangup` (default) ends the call at the decision;
     * `leaveMessage` waits for the beep (or the greeting's end) and plays `play`.
     */
    onMachine: z.enum(['hangup', 'leaveMessage']).optional(),
    /** With `amd` on, an undecided call is treated as a person (default) or hung up on. */
    onUnknown: z.enum(['human', 'hangup']).optional(),
    /**
     * A WAV of the answered call under the worker's `media.recordings`: `callee` (one channel),
     * `both` (two: the callee, then what we played) or `off` (default).
     */
    record: z.enum(['off', 'callee', 'both']).optional(),
  })
  .strict();

/**
 * What a worker needs to place one call, as stored in the BullMQ job. Producers never build it
 * by hand: the client normalises and validates input into it.
 */
export const dialJobSchema = z
  .object({
    v: z.literal(1),
    /** E.164, normalised at enqueue. */
    number: z.string().regex(/^\+[1-9][0-9]{6,14}$/),
    /** ISO country of the number (for dial formats and calling hours). */
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
    trunk: z.string().regex(NAME_PATTERN),
    campaign: z.string().regex(NAME_PATTERN).optional(),
    callerId: z
      .string()
      .superRefine((value, ctx) => {
        const problem = callerIdProblem(value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `callerId ${problem}` });
      })
      .optional(),
    /** Withhold the caller ID from the callee (anonymous From, `Privacy: id`); default: the campaign's. */
    callerIdWithheld: z.boolean().optional(),
    ringTimeoutMs: z.number().int().min(1000).max(300_000).optional(),
    maxCallLengthMs: z.number().int().min(1000).max(86_400_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    script: callScriptSchema.optional(),
    /** Answering-machine detection (amd-setting.ts); default: the campaign's, else off. */
    amd: amdSettingSchema.optional(),
    /** Opaque to the dialer, returned in the outcome. */
    metadata: z.record(z.string(), z.unknown()).optional(),
    idempotencyKey: z.string().max(128).optional(),
    /** Status callbacks of this call go here (overrides the campaign's). */
    callbackUrl: z
      .string()
      .refine((v) => callbackUrlProblem(v) === undefined, { message: 'callbackUrl must be an http(s) URL' })
      .optional(),
    /** The import that brought the job: while it is not committed, no worker dials the job. */
    importId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional(),
    enqueuedAt: z.number().int(),
  })
  .strict();

export type DialJob = z.infer<typeof dialJobSchema>;
export type CallScript = z.infer<typeof callScriptSchema>;
