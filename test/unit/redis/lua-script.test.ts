import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LuaScript } from '../../../src/redis/index.js';

describe('LuaScript.nameOf', () => {
  it('names a script made in this process by its SHA1, and no other', () => {
    const source = `return 'lua-script-test-${Math.random()}'`;
    const script = new LuaScript('lua-script-test', source);
    expect(script.sha).toBe(createHash('sha1').update(source).digest('hex'));
    expect(LuaScript.nameOf(script.sha)).toBe('lua-script-test');
    expect(LuaScript.nameOf(createHash('sha1').update(`${source} `).digest('hex'))).toBeUndefined();
  });
});
