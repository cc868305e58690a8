import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signCallback, verifyCallbackSignature } from '../../../src/callbacks/index.js';
import * as sipDialer from '../../../src/index.js';
import { callbackUrlProblem } from '../../../src/jobs/callback-url-problem.js';
import { normalizeCampaignSettings } from '../../../src/jobs/campaign-settings.js';
import { validateJobInput } from '../../../src/jobs/validate-job-input.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":"j1/1","type":"initiated"}';

describe('callback signature', () => {
  it('is HMAC-SHA256 over "<timestamp>.<raw body>", hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(signCallback(SECRET, 1_700_000_000, BODY)).toBe(`sha256=${expected}`);
    expect(signCallback(SECRET, 1_700_000_000, Buffer.from(BODY))).toBe(`sha256=${expected}`);
  });

  it('verifies a fresh signature and refuses a changed body, timestamp, secret or an old request', () => {
    const signature = signCallback(SECRET, 1_700_000_000, BODY);
    const ok = { secret: SECRET, body: BODY, timestamp: '1700000000', signature, now: 1_700_000_010 };
    expect(verifyCallbackSignature(ok)).toBe(true);
    expect(verifyCallbackSignature({ ...ok, body: BODY.replace('initiated', 'completed') })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, timestamp: '1700000001' })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, secret: 'another-secret-0123456' })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, now: 1_700_000_000 + 301 })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, now: 1_700_000_000 + 301, toleranceSec: 600 })).toBe(true);
    expect(verifyCallbackSignature({ ...ok, signature: undefined })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, timestamp: '17e8' })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, signature: 'sha256=00' })).toBe(false);
  });
});

describe('callbackUrlProblem', () => {
  it('accepts absolute http and https URLs', () => {
    expect(callbackUrlProblem('https://hooks.example.com/dialer?x=1')).toBeUndefined();
    expect(callbackUrlProblem('http://127.0.0.1:8080/cb')).toBeUndefined();
  });

  it('says what is wrong with anything else', () => {
    expect(callbackUrlProblem('ftp://example.com/x')).toMatch(/http/);
    expect(callbackUrlProblem('/relative/path')).toMatch(/absolute/);
    expect(callbackUrlProblem('not a url')).toMatch(/absolute/);
    expect(callbackUrlProblem('https://user:pw@example.com/')).toMatch(/password/);
    expect(callbackUrlProblem(42)).toMatch(/string/);
    expect(callbackUrlProblem(`https://example.com/${'a'.repeat(2100)}`)).toMatch(/2048/);
  });
});

describe('callbackUrl at the edge', () => {
  const trunks = new Map([['carrier', { name: 'carrier', domain: 'carrier.test', publishedAt: 0 }]]);

  it('a job keeps a good URL and refuses a bad one, naming the field', () => {
    const { job } = validateJobInput(
      { number: '+5534984149880', callbackUrl: 'https://hooks.example.com/calls' },
      trunks,
    );
    expect(job.callbackUrl).toBe('https://hooks.example.com/calls');
    for (const bad of ['ftp://hooks.example.com/', 'hooks.example.com/calls', 'https://u:p@example.com/']) {
      expect(() => validateJobInput({ number: '+5534984149880', callbackUrl: bad }, trunks)).toThrow(
        expect.objectContaining({ code: 'JOB_INVALID', field: 'callbackUrl' }),
      );
    }
  });

  it('a campaign keeps a good URL and refuses a bad one, naming the field', () => {
    expect(
      normalizeCampaignSettings({ trunk: 'carrier', callbackUrl: 'http://127.0.0.1:9000/cb' }).callbackUrl,
    ).toBe('http://127.0.0.1:9000/cb');
    expect(() => normalizeCampaignSettings({ trunk: 'carrier', callbackUrl: 'mailto:a@b.c' })).toThrow(
      expect.objectContaining({ code: 'CAMPAIGN_INVALID', field: 'callbackUrl' }),
    );
  });

  it('is exported from the package root, as the README says receivers can use it', () => {
    expect(sipDialer.verifyCallbackSignature).toBe(verifyCallbackSignature);
  });
});
