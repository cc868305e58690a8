import { describe, expect, it } from 'vitest';
import {
  BRANCH_COOKIE,
  newBranch,
  newCallId,
  newTag,
} from '../../../../src/sip/embedded/transaction/branch.js';

describe('transaction identifiers', () => {
  it('branches carry the RFC 3261 magic cookie and 80 random bits', () => {
    const branch = newBranch();
    expect(branch.startsWith(BRANCH_COOKIE)).toBe(true);
    expect(branch.slice(BRANCH_COOKIE.length)).toMatch(/^[0-9a-f]{20}$/);
  });

  it('tags are 48 random bits and Call-IDs name the host', () => {
    expect(newTag()).toMatch(/^[0-9a-f]{12}$/);
    expect(newCallId('192.0.2.1')).toMatch(/^[0-9a-f]{24}@192\.0\.2\.1$/);
  });

  it('never repeats across many refills of the random pool', () => {
    // 20 000 of each draws ~560 KB: well over a hundred refills of the 4 KiB pool.
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i += 1) {
      seen.add(newTag());
      seen.add(newBranch());
      seen.add(newCallId('h'));
    }
    expect(seen.size).toBe(60_000);
  });
});
