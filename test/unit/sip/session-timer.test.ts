import { describe, expect, it } from 'vitest';

import { readSessionTimer, sessionTimerSchedule } from '../../../src/sip/embedded/session-timer.js';

describe('readSessionTimer', () => {
  it('reads the interval and who refreshes, from a response to our INVITE (we are the UAC)', () => {
    expect(readSessionTimer('1800;refresher=uac', true)).toEqual({ intervalSec: 1800, weRefresh: true });
    expect(readSessionTimer('1800;refresher=uas', true)).toEqual({ intervalSec: 1800, weRefresh: false });
  });

  it('from a request the peer sent (we are the UAS), the roles swap', () => {
    expect(readSessionTimer('900;refresher=uas', false)).toEqual({ intervalSec: 900, weRefresh: true });
    expect(readSessionTimer('900;refresher=uac', false)).toEqual({ intervalSec: 900, weRefresh: false });
  });

  it('without refresher= the UAC refreshes (RFC 4028 §7.2)', () => {
    expect(readSessionTimer('1800', true)).toEqual({ intervalSec: 1800, weRefresh: true });
    expect(readSessionTimer('1800', false)).toEqual({ intervalSec: 1800, weRefresh: false });
  });

  it('tolerates whitespace, case and other parameters', () => {
    expect(readSessionTimer('  600 ; foo=bar ;  REFRESHER = UAS', true)).toEqual({
      intervalSec: 600,
      weRefresh: false,
    });
  });

  it('gives undefined for no header, a zero interval or no number', () => {
    expect(readSessionTimer(undefined, true)).toBeUndefined();
    expect(readSessionTimer('0;refresher=uac', true)).toBeUndefined();
    expect(readSessionTimer('refresher=uac', true)).toBeUndefined();
    expect(readSessionTimer('', true)).toBeUndefined();
  });
});

describe('sessionTimerSchedule', () => {
  it('refreshes at half the interval and gives up at SE − min(32, SE/3) (RFC 4028 §10)', () => {
    expect(sessionTimerSchedule({ intervalSec: 1800, weRefresh: true })).toEqual({
      refreshInMs: 900_000,
      expireInMs: 1_768_000,
    });
    // Below 96 s the third of the interval is the smaller margin.
    expect(sessionTimerSchedule({ intervalSec: 90, weRefresh: false })).toEqual({
      refreshInMs: 45_000,
      expireInMs: 60_000,
    });
  });
});
