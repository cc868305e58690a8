import { describe, expect, it } from 'vitest';
import { customHeaderNameProblem } from '../../../src/kernel/index.js';
import { callerAttestationOf } from '../../../src/sip/caller-attestation.js';
import { ANONYMOUS_FROM, callerPresentation } from '../../../src/sip/caller-presentation.js';
import type { InviteOptions } from '../../../src/sip/engine.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';

const trunk: SipTrunk = { name: 'carrier', domain: 'carrier.test', username: 'dialer1' };

function present(options: Partial<InviteOptions>, overrides: Partial<SipTrunk> = {}) {
  return callerPresentation({
    trunk: { ...trunk, ...overrides },
    uri: 'sip:5534984149880@carrier.test',
    sdp: '',
    ringTimeoutMs: 1000,
    ...options,
  });
}

describe('caller-ID presentation', () => {
  it('shows the caller ID in From and asserts it as sip: by default', () => {
    const p = present({ callerId: '+5534999990000' });
    expect(p.from).toBe('"+5534999990000" <sip:dialer1@carrier.test>');
    expect(p.headers).toEqual([['P-Asserted-Identity', '<sip:+5534999990000@carrier.test>']]);
  });

  it('asserts a global number as tel: when the trunk asks, a national one stays sip:', () => {
    expect(present({ callerId: '+55 34 99999-0000' }, { pAssertedIdentity: 'tel' }).headers).toEqual([
      ['P-Asserted-Identity', '<tel:+5534999990000>'],
    ]);
    expect(present({ callerId: '034999990000' }, { pAssertedIdentity: 'tel' }).headers).toEqual([
      ['P-Asserted-Identity', '<sip:034999990000@carrier.test>'],
    ]);
  });

  it('sends no P-Asserted-Identity when the trunk turns it off', () => {
    expect(present({ callerId: '+5534999990000' }, { pAssertedIdentity: 'off' }).headers).toEqual([]);
  });

  it('withheld: anonymous From, Privacy: id, and the real identity only in P-Asserted-Identity', () => {
    const p = present({ callerId: '+5534999990000', callerIdWithheld: true });
    expect(p.from).toBe(ANONYMOUS_FROM);
    expect(p.from).not.toContain('5534999990000');
    expect(p.headers).toEqual([
      ['P-Asserted-Identity', '<sip:+5534999990000@carrier.test>'],
      ['Privacy', 'id'],
    ]);
  });

  it('withheld without a caller ID still asserts the account to the carrier', () => {
    expect(present({ callerIdWithheld: true }).headers).toEqual([
      ['P-Asserted-Identity', '<sip:dialer1@carrier.test>'],
      ['Privacy', 'id'],
    ]);
  });

  it('adds Diversion when the trunk names one', () => {
    expect(present({}, { diversion: '+5534988887777' }).headers).toEqual([
      ['Diversion', '<sip:+5534988887777@carrier.test>;reason=unconditional'],
    ]);
  });

  it('a job cannot set the presentation headers itself, in any spelling', () => {
    for (const name of ['P-Asserted-Identity', 'p-asserted-identity', 'Privacy', 'Diversion'])
      expect(customHeaderNameProblem(name), name).toMatch(/set by the dialer/);
  });
});

function passport(payload: unknown): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'ES256', ppt: 'shaken', typ: 'passport' })}.${part(payload)}.c2ln`;
}

function headersOf(map: Record<string, string[]>): (name: string) => readonly string[] {
  return (name) => map[name] ?? [];
}

describe('STIR/SHAKEN attestation of a response', () => {
  it('reads `attest` from an Identity PASSporT and verstat from P-Asserted-Identity', () => {
    const found = callerAttestationOf(
      200,
      headersOf({
        Identity: [
          `${passport({ attest: 'B', orig: { tn: '1' } })};info=<https://x/c.pem>;alg=ES256;ppt=shaken`,
        ],
        'P-Asserted-Identity': ['<sip:+15551234567@carrier.test;user=phone>;verstat=TN-Validation-Passed'],
      }),
    );
    expect(found).toEqual({ attest: 'B', verstat: 'TN-Validation-Passed', status: 200 });
  });

  it('reads verstat from From when there is no P-Asserted-Identity', () => {
    expect(
      callerAttestationOf(
        180,
        headersOf({ From: ['<sip:+1555@carrier.test;verstat=No-TN-Validation>;tag=a'] }),
      ),
    ).toEqual({ verstat: 'No-TN-Validation', status: 180 });
  });

  it('ignores what it cannot read: no header, a compact PASSporT, a bad claim, junk', () => {
    expect(callerAttestationOf(200, headersOf({}))).toBeUndefined();
    expect(callerAttestationOf(200, headersOf({ Identity: ['eyJh..c2ln;ppt=shaken'] }))).toBeUndefined();
    expect(callerAttestationOf(200, headersOf({ Identity: [passport({ attest: 'Z' })] }))).toBeUndefined();
    expect(callerAttestationOf(200, headersOf({ Identity: ['not a jwt at all'] }))).toBeUndefined();
    expect(
      callerAttestationOf(200, headersOf({ Identity: [`${passport('x').split('.')[0]}.bm90anNvbg.c2ln`] })),
    ).toBeUndefined();
  });

  it('keeps an untrusted verstat to token characters', () => {
    const found = callerAttestationOf(
      200,
      headersOf({ 'P-Asserted-Identity': ['<sip:1@x>;verstat=Passed"<script>'] }),
    );
    expect(found?.verstat).toBe('Passed');
  });
});
