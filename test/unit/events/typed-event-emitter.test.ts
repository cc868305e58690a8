import { afterEach, describe, expect, it } from 'vitest';
import { TypedEventEmitter } from '../../../src/kernel/index.js';

type PingEvents = { ping: [n: number] };

class Pinger extends TypedEventEmitter<PingEvents> {
  ping(n: number): boolean {
    return this.emit('ping', n);
  }
}

describe('TypedEventEmitter: a throwing listener', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  afterEach(() => {
    process.off('warning', onWarning);
    warnings.length = 0;
  });

  it('is reported on listenerError with the event name and the error, and does not unwind into the emitter', () => {
    const pinger = new Pinger();
    const boom = new Error('listener bug');
    const reported: Array<[string, unknown]> = [];
    pinger.on('ping', () => {
      throw boom;
    });
    pinger.on('listenerError', (event, error) => reported.push([event, error]));
    expect(() => pinger.ping(1)).not.toThrow();
    expect(reported).toEqual([['ping', boom]]);
  });

  it('becomes a process warning when nobody listens for listenerError', async () => {
    process.on('warning', onWarning);
    const pinger = new Pinger();
    pinger.on('ping', () => {
      throw new Error('nobody hears me');
    });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    pinger.ping(2);
    const warning = await warned;
    expect((warning as Error & { code?: string }).code).toBe('LISTENER_ERROR');
    expect(warning.message).toContain("'ping' listener threw");
    expect(warning.message).toContain('nobody hears me');
  });

  it('becomes a process warning when the listenerError listener throws too, instead of looping', async () => {
    const pinger = new Pinger();
    pinger.on('ping', () => {
      throw new Error('first');
    });
    pinger.on('listenerError', () => {
      throw new Error('second');
    });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    expect(() => pinger.ping(3)).not.toThrow();
    expect((await warned).message).toContain('first');
  });
});
