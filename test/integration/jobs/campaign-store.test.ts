import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { InvalidCallingWindowError } from '../../../src/compliance/index.js';
import { parseCampaignControlMessage } from '../../../src/jobs/campaign-control-message.js';
import { CampaignConflictError } from '../../../src/jobs/campaign-conflict-error.js';
import { CampaignNotFoundError } from '../../../src/jobs/campaign-not-found-error.js';
import { CampaignStateError } from '../../../src/jobs/campaign-state-error.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';
import { InvalidCampaignError } from '../../../src/jobs/invalid-campaign-error.js';

let redis: Redis;
let keys: DialerKeys;
let store: CampaignStore;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  keys = new DialerKeys(`{t-${randomUUID()}}`);
  store = new CampaignStore({ redis, keys });
});

afterEach(async () => {
  const found = (await Promise.all(keys.patterns.map((p) => redis.keys(p)))).flat();
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

const settings = {
  trunk: 'carrier',
  callerId: '+5534999990000',
  defaultCountry: 'BR',
  window: { days: [5, 1, 2, 3, 4], start: '09:00', end: '20:00' },
  maxAttempts: 3,
  retryDelays: { busyMs: 300_000 },
  ringTimeoutMs: 30_000,
} as const;

describe('CampaignStore', () => {
  it('creates a campaign, running, and reads it back in canonical form', async () => {
    const result = await store.create('spring-sale', { ...settings, createdAt: 1_700_000_000_000 });
    expect(result.created).toBe(true);
    const record = await store.get('spring-sale');
    expect(record).toEqual({
      name: 'spring-sale',
      state: 'running',
      createdAt: 1_700_000_000_000,
      settings: { ...settings, window: { days: [1, 2, 3, 4, 5], start: '09:00', end: '20:00' } },
    });
    expect(result.campaign).toEqual(record);
    expect(await store.get('other')).toBeUndefined();
    expect(await store.state('spring-sale')).toBe('running');
  });

  it('accepts the same settings again (an import run twice) and refuses different ones', async () => {
    await store.create('spring-sale', { ...settings, createdAt: 1 });
    // Same settings, another spelling of the day list and a later createdAt: unchanged.
    const again = await store.create('spring-sale', {
      ...settings,
      window: { ...settings.window, days: [1, 2, 3, 4, 5] },
      createdAt: 2,
    });
    expect(again.created).toBe(false);
    expect(again.campaign.createdAt).toBe(1);

    const other = store.create('spring-sale', { ...settings, maxAttempts: 5 });
    await expect(other).rejects.toThrow(CampaignConflictError);
    await expect(store.create('spring-sale', { ...settings, maxAttempts: 5 })).rejects.toThrow(
      /"maxAttempts":3/,
    );
  });

  it('lets one of several racing creators create it', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => store.create('race', settings)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('lists campaigns by name', async () => {
    await store.create('b-campaign', { trunk: 'carrier' });
    await store.create('a-campaign', { trunk: 'other' }, { state: 'paused' });
    const list = await store.list();
    expect(list.map((c) => [c.name, c.state, c.settings.trunk])).toEqual([
      ['a-campaign', 'paused', 'other'],
      ['b-campaign', 'running', 'carrier'],
    ]);
  });

  it.each([
    ['name', () => store.create('Bad Name', settings), InvalidCampaignError, /^name "Bad Name"/],
    ['trunk', () => store.create('c', { ...settings, trunk: 'a:b' }), InvalidCampaignError, /^trunk "a:b"/],
    [
      'callerId',
      () => store.create('c', { ...settings, callerId: '+1\r\nX-Evil: 1' }),
      InvalidCampaignError,
      /^callerId /,
    ],
    [
      'defaultCountry',
      () => store.create('c', { ...settings, defaultCountry: 'XX' as 'BR' }),
      InvalidCampaignError,
      /^defaultCountry "XX"/,
    ],
    [
      'window.end',
      () => store.create('c', { ...settings, window: { start: '09:00', end: '25:00' } }),
      InvalidCallingWindowError,
      /^window\.end "25:00"/,
    ],
    [
      'timeZone',
      () => store.create('c', { ...settings, timeZone: 'Mars/Base' }),
      InvalidCallingWindowError,
      /^timeZone/,
    ],
    [
      'maxAttempts',
      () => store.create('c', { ...settings, maxAttempts: 0 }),
      InvalidCampaignError,
      /^maxAttempts 0/,
    ],
    [
      'retryDelays.busyMs',
      () => store.create('c', { ...settings, retryDelays: { busyMs: -1 } }),
      InvalidCampaignError,
      /^retryDelays\.busyMs -1/,
    ],
    [
      'unknown setting',
      () => store.create('c', { ...settings, colour: 'red' } as typeof settings),
      InvalidCampaignError,
      /^colour /,
    ],
  ])('refuses a bad %s, naming it', async (_name, call, type, message) => {
    await expect(call()).rejects.toThrow(type);
    await expect(call()).rejects.toThrow(message);
    expect(await store.list()).toEqual([]);
  });

  it('changes state and announces it on the control channel', async () => {
    await store.create('spring-sale', settings);
    const subscriber = new Redis(inject('redisUrl'));
    try {
      const received: unknown[] = [];
      const got = new Promise<void>((resolve) => {
        subscriber.on('message', (channel: string, payload: string) => {
          received.push({ channel, message: parseCampaignControlMessage(payload) });
          if (received.length === 3) resolve();
        });
      });
      await subscriber.subscribe(keys.control);

      expect(await store.setState('spring-sale', 'paused')).toBe('running');
      expect(await store.state('spring-sale')).toBe('paused');
      expect(await store.setState('spring-sale', 'running')).toBe('paused');
      expect(await store.setState('spring-sale', 'cancelled')).toBe('running');
      await got;
      expect(received).toEqual(
        (['paused', 'running', 'cancelled'] as const).map((state) => ({
          channel: keys.control,
          message: { type: 'campaign', name: 'spring-sale', state },
        })),
      );
    } finally {
      subscriber.disconnect();
    }
  });

  it('keeps a cancelled campaign cancelled and refuses unknown campaigns', async () => {
    await store.create('spring-sale', settings);
    await store.setState('spring-sale', 'cancelled');
    await expect(store.setState('spring-sale', 'running')).rejects.toThrow(CampaignStateError);
    expect(await store.setState('spring-sale', 'cancelled')).toBe('cancelled');
    expect(await store.state('spring-sale')).toBe('cancelled');
    await expect(store.setState('nope', 'paused')).rejects.toThrow(CampaignNotFoundError);
    await expect(store.status('nope')).rejects.toThrow(CampaignNotFoundError);
    await expect(store.addTotal('nope', 3)).rejects.toThrow(CampaignNotFoundError);
    expect(await redis.exists(keys.campaign('nope'))).toBe(0);
  });

  it('reports totals and the counters the outcome writer increments', async () => {
    await store.create('spring-sale', settings);
    await store.addTotal('spring-sale', 10);
    expect(await store.addTotal('spring-sale', 5)).toBe(15);
    // What the outcome writer does for each final outcome.
    const key = keys.campaign('spring-sale');
    await redis
      .multi()
      .hincrby(key, 'status:answered', 1)
      .hincrby(key, 'attempts', 1)
      .hincrby(key, 'status:busy', 1)
      .hincrby(key, 'attempts', 3)
      .hincrby(key, 'status:answered', 1)
      .hincrby(key, 'attempts', 2)
      .exec();
    const status = await store.status('spring-sale');
    expect(status).toEqual({
      name: 'spring-sale',
      state: 'running',
      total: 15,
      pending: 12,
      attempts: 6,
      byStatus: {
        answered: 2,
        busy: 1,
        'no-answer': 0,
        declined: 0,
        'invalid-number': 0,
        unreachable: 0,
        'auth-failed': 0,
        blocked: 0,
        cancelled: 0,
        failed: 0,
        machine: 0,
        'voicemail-left': 0,
      },
    });
  });
});

describe('parseCampaignControlMessage', () => {
  it('ignores other messages', () => {
    expect(parseCampaignControlMessage('{"type":"trunk","name":"x","state":"open"}')).toBeUndefined();
    expect(parseCampaignControlMessage('{"type":"campaign","name":"x","state":"gone"}')).toBeUndefined();
    expect(parseCampaignControlMessage('not json')).toBeUndefined();
  });
});
