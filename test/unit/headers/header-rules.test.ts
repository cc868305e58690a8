import { describe, expect, it } from 'vitest';
import {
  canonicalHeaderKey,
  COMPACT_HEADER_FORMS,
  customHeaderNameProblem,
  duplicateHeaderName,
  isEngineOwnedHeader,
  mergeHeaders,
} from '../../../src/kernel/header-rules.js';
import { canonicalHeaderName } from '../../../src/sip/embedded/message/index.js';

describe('header rules', () => {
  it('read a compact form, in either case, as its full name', () => {
    expect(canonicalHeaderKey('i')).toBe('call-id');
    expect(canonicalHeaderKey('V')).toBe('via');
    expect(canonicalHeaderKey('X-Account')).toBe('x-account');
    // The SIP parser reads them the same way: one table for both.
    for (const [short, full] of Object.entries(COMPACT_HEADER_FORMS)) {
      expect(canonicalHeaderName(short)).toBe(full);
      expect(canonicalHeaderKey(short.toUpperCase())).toBe(full.toLowerCase());
    }
  });

  it('own every header the engine writes, under its full or compact name', () => {
    const owned = ['i', 'v', 'f', 't', 'm', 'c', 'l', 'k', 'x', 'I', 'V', 'F', 'T', 'M', 'C', 'L', 'K', 'X'];
    for (const name of [
      ...owned,
      'Call-ID',
      'cseq',
      'Supported',
      'ROUTE',
      'Session-Expires',
      'Min-SE',
      'Require',
      'RAck',
      'RSeq',
      'P-Asserted-Identity',
      'privacy',
      'Diversion',
    ]) {
      expect(isEngineOwnedHeader(name), name).toBe(true);
      expect(customHeaderNameProblem(name), name).toBeDefined();
    }
    expect(customHeaderNameProblem('i')).toMatch(/compact form of Call-ID/);
    for (const name of ['s', 'Subject', 'X-Campaign', 'P-Preferred-Identity']) {
      expect(customHeaderNameProblem(name), name).toBeUndefined();
    }
  });

  it('refuse a one-letter name no RFC gives a meaning yet, and a name that is not a token', () => {
    for (const name of ['w', 'g', 'Z']) expect(customHeaderNameProblem(name), name).toMatch(/reserved/);
    expect(customHeaderNameProblem('X A')).toMatch(/token/);
  });

  it('find one header named twice, and merge layers per header (the later wins)', () => {
    expect(duplicateHeaderName(['Subject', 'X-A', 's'])).toEqual({ name: 's', sameAs: 'Subject' });
    expect(duplicateHeaderName(['x-a', 'X-A'])).toEqual({ name: 'X-A', sameAs: 'x-a' });
    expect(duplicateHeaderName(['Subject', 'X-S'])).toBeUndefined();
    expect(mergeHeaders({ Subject: 'trunk', 'X-A': '1' }, undefined, { s: 'job', 'x-a': '2' })).toEqual({
      s: 'job',
      'x-a': '2',
    });
  });
});
