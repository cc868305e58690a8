import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { formatSummary, summarizeOutcomes } from '../../../src/demo/demo-summary.js';
import {
  hasCommand,
  requireTools,
  SIPP,
  REDIS_SERVER,
  type ToolSystem,
} from '../../../src/demo/require-tools.js';
import { DEMO_COUNTRIES, sampleNumbers } from '../../../src/demo/sample-numbers.js';

describe('sampleNumbers', () => {
  it('draws distinct valid numbers from every country, the same for the same seed', () => {
    const numbers = sampleNumbers(200, 7);
    expect(new Set(numbers.map((n) => n.e164)).size).toBe(200);
    for (const n of numbers) {
      expect(isValidPhoneNumber(n.e164)).toBe(true);
      expect(parsePhoneNumberWithError(n.e164).country).toBe(n.country);
    }
    expect(new Set(numbers.map((n) => n.country))).toEqual(new Set(DEMO_COUNTRIES));
    expect(sampleNumbers(200, 7)).toEqual(numbers);
    expect(sampleNumbers(200, 8)).not.toEqual(numbers);
  });
});

describe('summarizeOutcomes', () => {
  const attempt = (uri: string, sipCode: number, extra = {}) => ({
    attempt: 1,
    id: uri,
    uri,
    startedAt: 0,
    state: 'done' as const,
    sipCode,
    ...extra,
  });
  const outcome = (status: CallOutcome['status'], attempts: CallOutcome['attempts']): CallOutcome => ({
    jobId: `j${Math.random()}`,
    to: '+5534984149880',
    trunk: 'carrier',
    status,
    reason: '',
    attempts,
    enqueuedAt: 0,
    completedAt: 1,
  });

  it('counts numbers per status, INVITEs, +E.164 fallbacks and delays, and prints them as a table', () => {
    const summary = summarizeOutcomes(
      [
        outcome('answered', [
          attempt('sip:+55@c', 404),
          attempt('sip:55@c', 200, { postDialDelayMs: 10, setupMs: 20 }),
        ]),
        outcome('answered', [attempt('sip:55@c', 200, { postDialDelayMs: 30, setupMs: 40 })]),
        outcome('busy', [attempt('sip:55@c', 486), attempt('sip:55@c', 486)]),
        outcome('invalid-number', [attempt('sip:+55@c', 404), attempt('sip:55@c', 404)]),
      ],
      2,
    );
    expect(summary).toMatchObject({
      numbers: 4,
      invites: 7,
      formatFallbacks: 2,
      callsPerSecond: 3.5,
      answerRate: 0.5,
      postDialDelayMs: { p50: 30, samples: 2 },
    });
    expect(summary.byStatus).toMatchObject({ answered: 2, busy: 1, 'invalid-number': 1, 'no-answer': 0 });
    const text = formatSummary(summary);
    expect(text).toMatch(/^answered\s+2\s+50\.0%$/m);
    expect(text).toMatch(/^total\s+4\s+100\.0%$/m);
    expect(text).not.toMatch(/^no-answer/m);
    expect(text).toContain('INVITEs/s:        3.5 (7 INVITEs in 2.0 s, 2 of them');
  });
});

describe('requireTools', () => {
  const system = (o: { installed: string[]; root: boolean; apt?: boolean }) => {
    const ran: string[] = [];
    const sys: ToolSystem = {
      has: (command) => (command === 'apt-get' ? (o.apt ?? true) : o.installed.includes(command)),
      isRoot: () => o.root,
      run: async (command, args) => {
        ran.push(`${command} ${args.join(' ')}`);
        if (args[0] === 'install') o.installed.push('sipp', 'redis-server');
      },
    };
    return { sys, ran };
  };

  it('does nothing when everything is there', async () => {
    const { sys, ran } = system({ installed: ['sipp', 'redis-server'], root: false });
    await requireTools([SIPP, REDIS_SERVER], () => undefined, sys);
    expect(ran).toEqual([]);
  });

  it('stops with the exact command when it is not root', async () => {
    const { sys } = system({ installed: [], root: false });
    await expect(requireTools([SIPP, REDIS_SERVER], () => undefined, sys)).rejects.toMatchObject({
      code: 'DEMO_SETUP',
      command: 'sudo apt-get install -y sip-tester redis-server',
    });
  });

  it('installs the Debian packages itself as root, and says so', async () => {
    const { sys, ran } = system({ installed: ['redis-server'], root: true });
    const said: string[] = [];
    await requireTools([SIPP, REDIS_SERVER], (l) => said.push(l), sys);
    expect(said.join('\n')).toContain('installing sip-tester with apt-get');
    expect(ran).toEqual(['apt-get update', 'apt-get install -y --no-install-recommends sip-tester']);
  });

  it('names the packages when there is no apt-get', async () => {
    const { sys } = system({ installed: [], root: true, apt: false });
    await expect(requireTools([SIPP], () => undefined, sys)).rejects.toThrow(/sip-tester/);
  });

  it('finds real commands on PATH', () => {
    expect(hasCommand(process.execPath, ['--version'])).toBe(true);
    expect(hasCommand('no-such-command-here-0c1d', [])).toBe(false);
  });
});
