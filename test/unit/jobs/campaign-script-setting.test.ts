import { describe, expect, it } from 'vitest';
import { InvalidCampaignError, normalizeCampaignSettings, type CallScript } from '../../../src/jobs/index.js';

function settingsError(script: unknown): InvalidCampaignError {
  try {
    normalizeCampaignSettings({ trunk: 'carrier', script: script as CallScript });
  } catch (error) {
    if (error instanceof InvalidCampaignError) return error;
    throw error;
  }
  throw new Error(`script ${JSON.stringify(script)} was accepted`);
}

describe('script setting on a campaign: the job rule, fields named', () => {
  it('keeps a valid script in a fixed key order, so the same script never conflicts with itself', () => {
    const a = normalizeCampaignSettings({
      trunk: 'carrier',
      script: { record: 'both', onMachine: 'leaveMessage', play: 'offer.wav' },
    });
    const b = normalizeCampaignSettings({
      trunk: 'carrier',
      script: { play: 'offer.wav', onMachine: 'leaveMessage', record: 'both' },
    });
    expect(a.script).toEqual({ play: 'offer.wav', onMachine: 'leaveMessage', record: 'both' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it.each([
    ['a string', 'hangup', 'script', '"hangup"'],
    ['an unknown onMachine', { onMachine: 'beep' }, 'script.onMachine', '"beep"'],
    ['an unknown record mode', { record: 'all' }, 'script.record', '"all"'],
    ['a nested bad value', { collect: { maxDigits: 0, timeoutMs: 500 } }, 'script.collect.maxDigits', '0'],
    ['an unknown field', { hangup: true }, 'script.hangup', 'unknown script field'],
  ])('refuses %s naming the field and the value', (_what, script, field, shown) => {
    const error = settingsError(script);
    expect(error.code).toBe('CAMPAIGN_INVALID');
    expect(error.field).toBe(field);
    expect(error.message).toContain(shown);
  });
});
