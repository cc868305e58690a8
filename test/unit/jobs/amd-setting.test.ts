import { describe, expect, it } from 'vitest';
import {
  AMD_OPTION_NAMES,
  BEEP_BAND_DEFAULT,
  EnqueueError,
  InvalidCampaignError,
  amdSettingProblem,
  normalizeCampaignSettings,
  validateJobInput,
  type TrunkInfo,
} from '../../../src/jobs/index.js';
import { CALL_PROGRESS_DEFAULTS, CallProgressAnalyzer } from '../../../src/media/index.js';

const trunks = new Map<string, TrunkInfo>([
  ['carrier', { name: 'carrier', domain: 'carrier.test', defaultCountry: 'BR', publishedAt: 0 }],
]);

function enqueue(amd: unknown): ReturnType<typeof validateJobInput> {
  return validateJobInput({ number: '+5534984149880', amd: amd as never }, trunks, 0);
}

function enqueueError(amd: unknown): EnqueueError {
  try {
    enqueue(amd);
  } catch (error) {
    if (error instanceof EnqueueError) return error;
    throw error;
  }
  throw new Error(`amd ${JSON.stringify(amd)} was accepted`);
}

function campaignError(amd: unknown): InvalidCampaignError {
  try {
    normalizeCampaignSettings({ trunk: 'carrier', amd: amd as never });
  } catch (error) {
    if (error instanceof InvalidCampaignError) return error;
    throw error;
  }
  throw new Error(`amd ${JSON.stringify(amd)} was accepted`);
}

describe('amd setting: the names are the analyzer option names', () => {
  it('lists exactly the analyzer options', () => {
    expect([...AMD_OPTION_NAMES].sort()).toEqual(Object.keys(CALL_PROGRESS_DEFAULTS).sort());
  });

  it('knows the analyzer default beep band', () => {
    expect(BEEP_BAND_DEFAULT).toEqual([CALL_PROGRESS_DEFAULTS.beepMinHz, CALL_PROGRESS_DEFAULTS.beepMaxHz]);
  });

  it('every default, and each range end, is accepted here and by the analyzer', () => {
    expect(amdSettingProblem({ ...CALL_PROGRESS_DEFAULTS })).toBeUndefined();
    for (const name of AMD_OPTION_NAMES) {
      if (name === 'initialSilenceResult' || name === 'beepMinHz' || name === 'beepMaxHz') continue;
      for (const value of [0, 1, 100]) {
        const setting = { [name]: value };
        if (amdSettingProblem(setting) === undefined) {
          expect(() => new CallProgressAnalyzer(setting)).not.toThrow();
        }
      }
    }
  });
});

describe('amd setting on a job', () => {
  it('is off when absent', () => {
    expect(enqueue(undefined).job.amd).toBeUndefined();
  });

  it.each([true, false, {}, { greetingMs: 2000, initialSilenceResult: 'machine' }])('accepts %j', (amd) => {
    expect(enqueue(amd).job.amd).toEqual(amd);
  });

  it.each([
    ['yes', 'amd', 'expected true, false or an object'],
    [[], 'amd', 'expected true, false or an object'],
    [{ greetingMS: 2000 }, 'amd.greetingMS', 'unknown option'],
    [{ greetingMs: -1 }, 'amd.greetingMs', 'integer from 0 to 60000'],
    [{ greetingMs: 1.5 }, 'amd.greetingMs', 'integer'],
    [{ maxWords: 0 }, 'amd.maxWords', 'from 1 to 100'],
    [{ initialSilenceResult: 'human' }, 'amd.initialSilenceResult', 'machine or unknown'],
    [{ beepMinHz: 3000 }, 'amd.beepMinHz', 'must be below beepMaxHz'],
  ])('refuses %j naming %s', (amd, field, reason) => {
    const error = enqueueError(amd);
    expect(error.field).toBe(field);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(JSON.stringify(field === 'amd' ? amd : Object.values(amd as object)[0]));
  });

  it('takes onMachine and onUnknown in the script', () => {
    const { job } = validateJobInput(
      {
        number: '+5534984149880',
        amd: true,
        script: { play: 'vm.wav', onMachine: 'leaveMessage', onUnknown: 'hangup' },
      },
      trunks,
      0,
    );
    expect(job.script).toMatchObject({ onMachine: 'leaveMessage', onUnknown: 'hangup' });
    expect(() =>
      validateJobInput({ number: '+5534984149880', script: { onMachine: 'voicemail' as never } }, trunks, 0),
    ).toThrow(/script\.onMachine/);
  });
});

describe('amd setting on a campaign: the same rule', () => {
  it.each([true, false, { beepWindowMs: 10_000 }])('accepts %j', (amd) => {
    expect(normalizeCampaignSettings({ trunk: 'carrier', amd: amd as never }).amd).toEqual(amd);
  });

  it('keeps timings in a fixed key order', () => {
    const a = normalizeCampaignSettings({ trunk: 'carrier', amd: { maxWords: 3, greetingMs: 2000 } });
    const b = normalizeCampaignSettings({ trunk: 'carrier', amd: { greetingMs: 2000, maxWords: 3 } });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it.each([
    ['on', 'amd', 'expected true, false'],
    [{ greetingMs: 'long' }, 'amd.greetingMs', 'expected an integer'],
    [{ beepHz: 1000 }, 'amd.beepHz', 'unknown option'],
  ])('refuses %j naming %s', (amd, field, reason) => {
    const error = campaignError(amd);
    expect(error.field).toBe(field);
    expect(error.message).toContain(reason);
  });
});
