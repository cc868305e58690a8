import { describe, expect, it } from 'vitest';
import {
  RESULT_COLUMNS,
  pendingResultRow,
  resultCsvHeader,
  resultCsvLine,
  resultJsonLine,
  resultLines,
  resultRowFromOutcome,
  type ResultRow,
} from '../../../src/results/index.js';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';

const outcome: CallOutcome = {
  jobId: 'spring~+5534984149880',
  to: '+5534984149880',
  trunk: 'carrier',
  campaign: 'spring',
  status: 'answered',
  reason: '200 OK',
  enqueuedAt: 1_000,
  completedAt: 61_000,
  digits: '12#',
  attempts: [
    {
      attempt: 1,
      id: 'a',
      uri: 'sip:1',
      startedAt: 5_000,
      state: 'done',
      sipCode: 486,
      postDialDelayMs: 700,
    },
    { attempt: 2, id: 'b', uri: 'sip:2', startedAt: 30_000, state: 'done', sipCode: 404, dialFormat: 'e164' },
    {
      attempt: 2,
      id: 'c',
      uri: 'sip:3',
      startedAt: 31_000,
      state: 'done',
      sipCode: 200,
      postDialDelayMs: 1_200,
      setupMs: 4_000,
      talkMs: 9_000,
    },
  ],
};

describe('result rows', () => {
  it('takes attempts (format fallbacks once), the last code and timings, ISO times', () => {
    expect(resultRowFromOutcome(outcome)).toEqual({
      number: '+5534984149880',
      jobId: 'spring~+5534984149880',
      status: 'answered',
      reason: '200 OK',
      attempts: 2,
      sipCode: 200,
      enqueuedAt: '1970-01-01T00:00:01.000Z',
      firstAttemptAt: '1970-01-01T00:00:05.000Z',
      completedAt: '1970-01-01T00:01:01.000Z',
      postDialDelayMs: 1200,
      setupMs: 4000,
      talkMs: 9000,
      digits: '12#',
    });
  });

  it('marks a number without an outcome as pending with its queue state', () => {
    expect(
      pendingResultRow({
        jobId: 'spring~+1',
        number: '+1',
        state: 'delayed',
        attempts: outcome.attempts.slice(0, 1),
      }),
    ).toEqual({
      number: '+1',
      jobId: 'spring~+1',
      status: 'pending',
      reason: 'delayed',
      attempts: 1,
      sipCode: 486,
      firstAttemptAt: '1970-01-01T00:00:05.000Z',
      postDialDelayMs: 700,
    });
  });

  it('writes CSV with every column in order, RFC 4180 quoting, and no live formulas', () => {
    expect(resultCsvHeader()).toBe(RESULT_COLUMNS.join(','));
    const row: ResultRow = {
      number: '+5534984149880',
      jobId: 'x~+5534984149880',
      status: 'busy',
      reason: '=cmd|"/c calc"!A1, or "busy"',
      attempts: 1,
    };
    expect(resultCsvLine(row)).toBe(
      `+5534984149880,x~+5534984149880,busy,"'=cmd|""/c calc""!A1, or ""busy""",1,,,,,,,,,,,,,,,,,,`,
    );
    expect(JSON.parse(resultJsonLine(row))).toEqual(row);
  });

  it('streams lines: the CSV header first, none for JSON lines', async () => {
    async function* rows(): AsyncGenerator<ResultRow> {
      yield resultRowFromOutcome(outcome);
    }
    const csv: string[] = [];
    for await (const line of resultLines(rows(), 'csv')) csv.push(line);
    const jsonl: string[] = [];
    for await (const line of resultLines(rows(), 'jsonl')) jsonl.push(line);
    expect(csv).toHaveLength(2);
    expect(csv[0]).toBe(resultCsvHeader());
    expect(jsonl).toHaveLength(1);
    expect(JSON.parse(jsonl[0] as string)).toMatchObject({ status: 'answered' });
  });
});

describe('result rows: answering-machine detection', () => {
  it('carries the last decision and the beep time as columns', () => {
    const machine: CallOutcome = {
      ...outcome,
      status: 'voicemail-left',
      attempts: [
        {
          attempt: 1,
          id: 'm',
          uri: 'sip:1',
          startedAt: 5_000,
          state: 'done',
          sipCode: 200,
          amd: {
            result: 'machine',
            reason: 'long-greeting',
            decisionMs: 1960,
            greetingMs: 1500,
            words: 2,
            beepAtMs: 3620,
          },
        },
      ],
    };
    const row = resultRowFromOutcome(machine);
    expect(row).toMatchObject({
      amdResult: 'machine',
      amdReason: 'long-greeting',
      amdDecisionMs: 1960,
      beepAtMs: 3620,
    });
    expect(resultCsvHeader()).toMatch(
      /,amdResult,amdReason,amdDecisionMs,beepAtMs,callerId,callerIdWithheld,attest,verstat,recordingPath,recordingMs$/,
    );
    expect(resultCsvLine(row)).toMatch(/,machine,long-greeting,1960,3620,,,,,,$/);
    expect(resultRowFromOutcome(outcome).amdResult).toBeUndefined();
  });

  it("carries the last written recording's path and length; a failed one leaves the columns empty", () => {
    const attempt = { uri: 'sip:1', startedAt: 5_000, state: 'done' as const, sipCode: 200 };
    const recorded: CallOutcome = {
      ...outcome,
      status: 'answered',
      attempts: [
        {
          ...attempt,
          attempt: 1,
          id: 'a',
          recording: { path: '/rec/a-1.wav', durationMs: 4020, channels: 2 },
        },
        { ...attempt, attempt: 2, id: 'b', recording: { path: '/rec/a-2.wav', error: 'ENOSPC: no space' } },
      ],
    };
    const row = resultRowFromOutcome(recorded);
    expect(row).toMatchObject({ recordingPath: '/rec/a-1.wav', recordingMs: 4020 });
    expect(resultCsvLine(row)).toMatch(/,\/rec\/a-1\.wav,4020$/);
    const failed = resultRowFromOutcome({ ...recorded, attempts: recorded.attempts.slice(1) });
    expect(failed.recordingPath).toBeUndefined();
    expect(failed.recordingMs).toBeUndefined();
  });
});
