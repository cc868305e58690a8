import fc from 'fast-check';
import { getCountries } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import {
  InvalidCallingWindowError,
  callingTimeZone,
  nextCallingTime,
  timeZoneForCountry,
  validateCallingWindow,
  type CallingWindow,
} from '../../../src/compliance/index.js';

const NY = 'America/New_York';
const utc = (y: number, mo: number, d: number, h = 0, mi = 0): number => Date.UTC(y, mo - 1, d, h, mi);
const nineToFive: CallingWindow = { start: '09:00', end: '17:00' };

describe('nextCallingTime', () => {
  it('allows a call inside the window in the callee zone', () => {
    // 10:00 EST = 15:00Z.
    expect(nextCallingTime(utc(2026, 1, 14, 15), nineToFive, NY)).toEqual({ allowed: true });
    // The same instant is 07:00 in Los Angeles.
    expect(nextCallingTime(utc(2026, 1, 14, 15), nineToFive, 'America/Los_Angeles')).toEqual({
      allowed: false,
      at: utc(2026, 1, 14, 17),
    });
  });

  it('treats start as inclusive and end as exclusive', () => {
    expect(nextCallingTime(utc(2026, 1, 14, 14), nineToFive, NY)).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 1, 14, 14) - 1, nineToFive, NY)).toEqual({
      allowed: false,
      at: utc(2026, 1, 14, 14),
    });
    expect(nextCallingTime(utc(2026, 1, 14, 22) - 1, nineToFive, NY)).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 1, 14, 22), nineToFive, NY)).toEqual({
      allowed: false,
      at: utc(2026, 1, 15, 14),
    });
  });

  it('skips days the window does not open: Friday evening goes to Monday morning', () => {
    const weekdays: CallingWindow = { ...nineToFive, days: [1, 2, 3, 4, 5] };
    // Friday 2026-01-16 18:00 EST.
    expect(nextCallingTime(utc(2026, 1, 16, 23), weekdays, NY)).toEqual({
      allowed: false,
      at: utc(2026, 1, 19, 14),
    });
    // Sunday noon.
    expect(nextCallingTime(utc(2026, 1, 18, 17), weekdays, NY)).toEqual({
      allowed: false,
      at: utc(2026, 1, 19, 14),
    });
  });

  it('opens at 09:00 EDT the morning clocks spring forward (America/New_York, 2026-03-08)', () => {
    // Saturday 18:00 EST (UTC-5); Sunday 09:00 is already EDT (UTC-4): 13:00Z, not 14:00Z.
    expect(nextCallingTime(utc(2026, 3, 7, 23), nineToFive, NY)).toEqual({
      allowed: false,
      at: utc(2026, 3, 8, 13),
    });
    // And closes at 17:00 EDT = 21:00Z.
    expect(nextCallingTime(utc(2026, 3, 8, 21) - 1, nineToFive, NY)).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 3, 8, 21), nineToFive, NY).allowed).toBe(false);
  });

  it('opens at the jump when the opening time does not exist that day', () => {
    // 02:30 never happens on 2026-03-08: 01:59:59 EST is followed by 03:00 EDT = 07:00Z.
    const early: CallingWindow = { start: '02:30', end: '04:00' };
    expect(nextCallingTime(utc(2026, 3, 7, 17), early, NY)).toEqual({
      allowed: false,
      at: utc(2026, 3, 8, 7),
    });
    expect(nextCallingTime(utc(2026, 3, 8, 7), early, NY)).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 3, 8, 7) - 1, early, NY)).toEqual({
      allowed: false,
      at: utc(2026, 3, 8, 7),
    });
  });

  it('reads the repeated hour of a fall-back night in order (America/New_York, 2026-11-01)', () => {
    const window: CallingWindow = { start: '01:30', end: '03:00' };
    // 00:00 EDT = 04:00Z: the first 01:30 is EDT, 05:30Z.
    expect(nextCallingTime(utc(2026, 11, 1, 4), window, NY)).toEqual({
      allowed: false,
      at: utc(2026, 11, 1, 5, 30),
    });
    // 01:10 EST (the second 01:10) = 06:10Z: the next 01:30 is the EST one, 06:30Z.
    expect(nextCallingTime(utc(2026, 11, 1, 6, 10), window, NY)).toEqual({
      allowed: false,
      at: utc(2026, 11, 1, 6, 30),
    });
  });

  it('follows a southern-hemisphere DST end (Australia/Sydney, 2026-04-05)', () => {
    // Saturday 18:00 AEDT (UTC+11) = 07:00Z; Sunday 09:00 is AEST (UTC+10) = Saturday 23:00Z.
    expect(nextCallingTime(utc(2026, 4, 4, 7), nineToFive, 'Australia/Sydney')).toEqual({
      allowed: false,
      at: utc(2026, 4, 4, 23),
    });
  });

  it('supports a window crossing midnight, owned by the day it opens', () => {
    const night: CallingWindow = { start: '22:00', end: '02:00' };
    expect(nextCallingTime(utc(2026, 1, 14, 23, 30), night, 'UTC')).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 1, 15, 1, 59), night, 'UTC')).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 1, 15, 2), night, 'UTC')).toEqual({
      allowed: false,
      at: utc(2026, 1, 15, 22),
    });

    // Fridays only (2026-01-16 is a Friday): Saturday 01:00 is still Friday's window, Friday 01:00 is not.
    const fridayNight: CallingWindow = { ...night, days: [5] };
    expect(nextCallingTime(utc(2026, 1, 17, 1), fridayNight, 'UTC')).toEqual({ allowed: true });
    expect(nextCallingTime(utc(2026, 1, 16, 1), fridayNight, 'UTC')).toEqual({
      allowed: false,
      at: utc(2026, 1, 16, 22),
    });
    expect(nextCallingTime(utc(2026, 1, 17, 2), fridayNight, 'UTC')).toEqual({
      allowed: false,
      at: utc(2026, 1, 23, 22),
    });
  });

  it('allows every instant for 00:00-24:00', () => {
    const always: CallingWindow = { start: '00:00', end: '24:00' };
    for (const t of [utc(2026, 3, 8, 7), utc(2026, 11, 1, 6), utc(2026, 12, 31, 23, 59)]) {
      expect(nextCallingTime(t, always, NY)).toEqual({ allowed: true });
    }
  });

  it('never skips an open moment and always lands on one (property, several DST zones)', () => {
    const zones = [
      NY,
      'Europe/London',
      'Australia/Sydney',
      'America/Sao_Paulo',
      'Asia/Kolkata',
      'Pacific/Chatham',
    ];
    const hhmm = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    const window = fc
      .record({
        start: hhmm,
        end: hhmm,
        days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
      })
      .filter((w) => w.start !== w.end);
    fc.assert(
      fc.property(
        fc.integer({ min: utc(2025, 1, 1), max: utc(2027, 12, 31) }),
        window,
        fc.constantFrom(...zones),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
        (now, w, zone, probes) => {
          const decision = nextCallingTime(now, w, zone);
          if (decision.allowed) return;
          expect(decision.at).toBeGreaterThan(now);
          expect(nextCallingTime(decision.at, w, zone)).toEqual({ allowed: true });
          // Nothing between now and the opening is open.
          for (const p of probes) {
            const t = now + Math.floor(p * (decision.at - now - 1));
            expect(nextCallingTime(t, w, zone).allowed).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('validateCallingWindow', () => {
  it.each([
    [{ start: '9:00', end: '17:00' }, 'window.start'],
    [{ start: '09:00', end: '24:01' }, 'window.end'],
    [{ start: '24:00', end: '08:00' }, 'window.start'],
    [{ start: '09:00', end: '09:00' }, 'window.end'],
    [{ start: '09:00', end: '17:00', days: [] }, 'window.days'],
    [{ start: '09:00', end: '17:00', days: [7] }, 'window.days'],
    [{ start: '09:00', end: '17:00', days: [1, 1] }, 'window.days'],
    [{ start: '09:00', end: '17:00', timeZone: 'Mars/Olympus_Mons' }, 'window.timeZone'],
  ])('refuses %j naming %s', (window, field) => {
    const call = () => validateCallingWindow(window as CallingWindow);
    expect(call).toThrow(InvalidCallingWindowError);
    expect(call).toThrow(new RegExp(`^${field.replace('.', '\\.')} `));
  });

  it('refuses an unknown zone passed to nextCallingTime', () => {
    expect(() => nextCallingTime(0, nineToFive, 'Nowhere/Town')).toThrow(/^timeZone "Nowhere\/Town"/);
  });
});

describe('timeZoneForCountry', () => {
  it('picks the most populous zone of multi-zone countries', () => {
    expect(timeZoneForCountry('US')).toBe('America/New_York');
    expect(timeZoneForCountry('BR')).toBe('America/Sao_Paulo');
    expect(timeZoneForCountry('RU')).toBe('Europe/Moscow');
    expect(timeZoneForCountry('CA')).toBe('America/Toronto');
    expect(timeZoneForCountry('AU')).toBe('Australia/Sydney');
    expect(timeZoneForCountry('MX')).toBe('America/Mexico_City');
    expect(timeZoneForCountry('GB')).toBe('Europe/London');
    expect(timeZoneForCountry('ZZ')).toBeUndefined();
  });

  it('has a zone this runtime knows for every country libphonenumber-js can return', () => {
    const missing = getCountries().filter((c) => timeZoneForCountry(c) === undefined);
    expect(missing).toEqual([]);
  });

  it('resolves the zone: window, then campaign, then country, then UTC', () => {
    const window: CallingWindow = { ...nineToFive, timeZone: 'Europe/Paris' };
    expect(callingTimeZone({ window, timeZone: 'Asia/Tokyo', country: 'BR' })).toBe('Europe/Paris');
    expect(callingTimeZone({ window: nineToFive, timeZone: 'Asia/Tokyo', country: 'BR' })).toBe('Asia/Tokyo');
    expect(callingTimeZone({ window: nineToFive, country: 'BR' })).toBe('America/Sao_Paulo');
    expect(callingTimeZone({})).toBe('UTC');
  });
});
