import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ComplianceInputError, DncList } from '../../../src/compliance/index.js';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';
import { InvalidNumberError } from '../../../src/numbers/index.js';

let redis: Redis;
let keys: DialerKeys;
let dnc: DncList;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  keys = new DialerKeys(`{t-${randomUUID()}}`);
  dnc = new DncList({ redis, keys });
});

afterEach(async () => {
  const found = (await Promise.all(keys.patterns.map((p) => redis.keys(p)))).flat();
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

async function* linesOf(text: string): AsyncIterable<string> {
  for (const line of text.split('\n')) yield line;
}

describe('DncList', () => {
  it('blocks numbers on the global list for every campaign, normalised whatever their spelling', async () => {
    expect(await dnc.add(['+55 34 98414-9880', '+44 7400 123456'])).toBe(2);
    expect(await dnc.add(['+5534984149880'])).toBe(0);
    expect(await dnc.has('+5534984149880')).toEqual({ blocked: true, list: 'global' });
    expect(await dnc.has('+5534984149880', 'spring-sale')).toEqual({ blocked: true, list: 'global' });
    expect(await dnc.has('+447400123457')).toEqual({ blocked: false });
    expect(await dnc.count()).toBe(2);
  });

  it("keeps a campaign's list to that campaign; the global list wins when on both", async () => {
    await dnc.add(['34984149880'], 'spring-sale', { defaultCountry: 'BR' });
    expect(await dnc.has('+5534984149880', 'spring-sale')).toEqual({ blocked: true, list: 'campaign' });
    expect(await dnc.has('+5534984149880', 'autumn')).toEqual({ blocked: false });
    expect(await dnc.has('+5534984149880')).toEqual({ blocked: false });
    expect(await dnc.count('spring-sale')).toBe(1);
    expect(await dnc.count()).toBe(0);

    await dnc.add(['+5534984149880']);
    expect(await dnc.has('+5534984149880', 'spring-sale')).toEqual({ blocked: true, list: 'global' });
  });

  it('removes numbers', async () => {
    await dnc.add(['+447400123456', '+447400123457']);
    expect(await dnc.remove(['+44 7400 123456', '+447400999999'])).toBe(1);
    expect(await dnc.has('+447400123456')).toEqual({ blocked: false });
    expect(await dnc.has('+447400123457')).toEqual({ blocked: true, list: 'global' });
  });

  it('refuses a bad number naming its index, and writes none of the batch', async () => {
    const call = dnc.add(['+447400123456', '12', '+447400123457']);
    await expect(call).rejects.toThrow(InvalidNumberError);
    await expect(dnc.add(['+447400123456', '12'])).rejects.toThrow(/^numbers\[1\] "12": /);
    expect(await dnc.count()).toBe(0);
  });

  it('refuses a number that is not E.164 in has(), and a bad campaign name', async () => {
    await expect(dnc.has('07400 123456')).rejects.toThrow(ComplianceInputError);
    await expect(dnc.has('+447400123456', 'Bad:Name')).rejects.toThrow(/^campaign "Bad:Name"/);
  });

  it('imports a file in batches, reporting bad lines by line number', async () => {
    const file = [
      '\uFEFFnumber,name', // 1: header (BOM stripped)
      '+447400123456,Ann', // 2
      '', // 3
      '# removed by request', // 4
      '"07400 123457",Bob', // 5: national, quoted
      'not a number', // 6
      '+447400123456,Ann again', // 7: repeat
      '12', // 8: too short
      '+5534984149880', // 9
    ].join('\n');
    const report = await dnc.import(linesOf(file), {
      campaign: 'spring-sale',
      defaultCountry: 'GB',
      batchSize: 2,
    });
    expect(report).toEqual({
      lines: 9,
      valid: 4,
      added: 3,
      invalid: 2,
      errors: [
        { line: 6, input: 'not a number', reason: 'NOT_A_NUMBER' },
        { line: 8, input: '12', reason: 'TOO_SHORT' },
      ],
      errorsOmitted: 0,
    });
    expect(await dnc.count('spring-sale')).toBe(3);
    expect(await dnc.has('+447400123457', 'spring-sale')).toEqual({ blocked: true, list: 'campaign' });
  });

  it('keeps the first 1000 bad lines and counts the rest', async () => {
    async function* lines(): AsyncIterable<string> {
      for (let i = 0; i < 1500; i++) yield 'x1';
      yield '+447400123456';
    }
    const report = await dnc.import(lines());
    expect(report.invalid).toBe(1500);
    expect(report.errors).toHaveLength(1000);
    expect(report.errors[999]).toMatchObject({ line: 1000 });
    expect(report.errorsOmitted).toBe(500);
    expect(report.added).toBe(1);
  });
});
