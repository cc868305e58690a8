import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// The rule file is CommonJS because dependency-cruiser reads it that way from the CLI too.
const config = require('../../../.dependency-cruiser.cjs') as IConfiguration;
const fixtures = fileURLToPath(new URL('../../fixtures/layout/', import.meta.url));

async function violations(): Promise<Array<{ from: string; to: string; rule: string }>> {
  const result = await cruise(['src'], {
    baseDir: fixtures,
    ruleSet: { forbidden: config.forbidden ?? [] },
    validate: true,
  });
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => ({ from: v.from, to: v.to, rule: v.rule.name }));
}

// The lint step runs these rules over src/; here they run over a tree with deliberately wrong
// imports, so a rule that silently stopped matching would fail this test.
describe('the dependency rules of npm run lint', () => {
  it('refuse a deep import into another folder and an import across engines, and allow a door', async () => {
    const found = await violations();
    expect(found).toContainEqual({
      from: 'src/numbers/deep-import.js',
      to: 'src/jobs/inner.js',
      rule: 'folder-door',
    });
    expect(found).toContainEqual({
      from: 'src/sip/drachtio/cross-engine.js',
      to: 'src/sip/embedded/helper.js',
      rule: 'engines-are-independent',
    });
    // numbers → jobs breaks "numbers are pure" as well, whatever the door.
    expect(found.filter((v) => v.from === 'src/numbers/deep-import.js').map((v) => v.rule)).toContain(
      'numbers-are-pure',
    );
    expect(found.filter((v) => v.from === 'src/numbers/through-door.js')).toEqual([]);
  });

  it('refuse ioredis outside src/redis/: every connection comes from its one factory', async () => {
    const found = await violations();
    expect(found.filter((v) => v.from === 'src/jobs/opens-redis.js').map((v) => v.rule)).toEqual([
      'ioredis-only-in-redis',
    ]);
  });

  it('refuse the worker importing an observer, even through its door: observers are handed to it', async () => {
    expect(await violations()).toContainEqual({
      from: 'src/workers/builds-observer.js',
      to: 'src/metrics/index.js',
      rule: 'workers-know-no-observers',
    });
  });
});
