import { describe, expect, it } from 'vitest';
import {
  InvalidRequestUriError,
  buildRequestUri,
  formatForDial,
  normalizeNumber,
} from '../../../src/numbers/index.js';

describe('buildRequestUri', () => {
  it('builds the reference URIs', () => {
    const n = normalizeNumber('+55 34 98414-9880');
    expect(buildRequestUri(formatForDial(n, { name: 'e164' }), 'carrier.test')).toBe(
      'sip:+5534984149880@carrier.test',
    );
    expect(buildRequestUri(formatForDial(n, { name: 'e164-digits' }), 'carrier.test')).toBe(
      'sip:5534984149880@carrier.test',
    );
  });

  it('escapes # and keeps * as it is', () => {
    expect(buildRequestUri('*31#5534984149880', 'carrier.test')).toBe('sip:*31%235534984149880@carrier.test');
  });

  it.each([
    '127.0.0.1',
    '127.0.0.1:5060',
    'sip.carrier.test:5080',
    '[::1]',
    '[2001:db8::1]:5060',
    'carrier.test.',
  ])('accepts the domain %s', (domain) => {
    expect(buildRequestUri('123', domain)).toBe(`sip:123@${domain}`);
  });

  it.each([
    ['', 'dialString'],
    ['55+34', 'dialString'],
    ['1234@evil', 'dialString'],
    ['1234;user=phone', 'dialString'],
    ['%2B55', 'dialString'],
    ['1'.repeat(33), 'dialString'],
  ])('rejects the dial string %j', (dial, field) => {
    expect(() => buildRequestUri(dial, 'carrier.test')).toThrow(InvalidRequestUriError);
    try {
      buildRequestUri(dial, 'carrier.test');
    } catch (err) {
      expect((err as InvalidRequestUriError).field).toBe(field);
    }
  });

  it.each([
    '',
    'carrier.test;transport=tcp',
    'carrier.test>',
    'user@carrier.test',
    'carrier.test:70000',
    'a b',
    '-x.test',
  ])('rejects the domain %j', (domain) => {
    let caught: unknown;
    try {
      buildRequestUri('123', domain);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRequestUriError);
    expect((caught as InvalidRequestUriError).field).toBe('domain');
    expect((caught as InvalidRequestUriError).code).toBe('REQUEST_URI_INVALID');
  });
});
