import { describe, expect, it } from 'vitest';
import { HeaderValueError } from '../../../src/sip/index.js';
import { checkInviteOptions } from '../../../src/sip/check-invite-options.js';

const base = {
  trunk: { name: 't', domain: 'carrier.test' },
  uri: 'sip:1@carrier.test',
  sdp: '',
  ringTimeoutMs: 1000,
};

describe('checkInviteOptions (both engines, before any INVITE is built)', () => {
  // Both engines used to pass `from` through the custom-header check, which refuses From as an
  // engine-owned header: every call with `from` set failed.
  it('accepts a from user part', () => {
    expect(() => checkInviteOptions({ ...base, from: 'dialer-7' })).not.toThrow();
  });

  it.each(['a b', 'x@evil', 'x>;tag=1', 'a\r\nVia: x', 'u'.repeat(65)])(
    'refuses from %j, naming the field',
    (from) => {
      expect(() => checkInviteOptions({ ...base, from })).toThrow(HeaderValueError);
      expect(() => checkInviteOptions({ ...base, from })).toThrow(/header from:/);
    },
  );

  it('refuses a caller ID with no digits, naming the field and the value', () => {
    expect(() => checkInviteOptions({ ...base, callerId: 'ACME Corp' })).toThrow(/callerId: .*"ACME Corp"/);
  });

  it('still refuses an engine-owned custom header', () => {
    expect(() => checkInviteOptions({ ...base, headers: { i: 'x' } })).toThrow(HeaderValueError);
  });
});
