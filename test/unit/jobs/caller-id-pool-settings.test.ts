import { describe, expect, it } from 'vitest';
import { normalizeCampaignSettings } from '../../../src/jobs/campaign-settings.js';
import { callerIdAllowedProblem } from '../../../src/jobs/caller-id-allowed-problem.js';

describe('campaign caller-ID settings', () => {
  it('keeps a pool, its cap and withheld', () => {
    expect(
      normalizeCampaignSettings({
        trunk: 'carrier',
        callerIds: ['+553432100000', '+551130000000'],
        callerIdDailyCap: 200,
        callerIdWithheld: false,
      }),
    ).toMatchObject({
      callerIds: ['+553432100000', '+551130000000'],
      callerIdDailyCap: 200,
      callerIdWithheld: false,
    });
  });

  it('names the field and the value of a bad pool entry, cap or flag', () => {
    const refuse = (settings: object, pattern: RegExp): void =>
      expect(() => normalizeCampaignSettings({ trunk: 'carrier', ...settings })).toThrow(pattern);
    refuse({ callerIds: ['+553432100000', '034 3210-0000'] }, /callerIds\[1\].*034 3210-0000.*E\.164/);
    refuse({ callerIds: ['+553432100000', '+553432100000'] }, /callerIds\[1\].*listed twice/);
    refuse({ callerIds: ['+5534\r\n'] }, /callerIds\[0\]/);
    refuse({ callerIds: [] }, /callerIds/);
    refuse({ callerIdDailyCap: 5 }, /callerIdDailyCap.*needs callerIds/);
    refuse({ callerIds: ['+553432100000'], callerIdDailyCap: 0 }, /callerIdDailyCap.*0/);
    refuse({ callerIdWithheld: 'yes' }, /callerIdWithheld.*yes.*true or false/);
  });

  it('checks a caller ID against the trunk allowed list by its digits', () => {
    const trunk = {
      name: 'carrier',
      domain: 'carrier.test',
      publishedAt: 0,
      allowedCallerIds: ['+55 34 3210-0000'],
    };
    expect(callerIdAllowedProblem('+553432100000', trunk)).toBeUndefined();
    expect(callerIdAllowedProblem('+553432100001', trunk)).toMatch(/not in trunk carrier's allowedCallerIds/);
    expect(
      callerIdAllowedProblem('+553432100001', { ...trunk, allowedCallerIds: undefined } as never),
    ).toBeUndefined();
  });
});
