import { describe, expect, it } from 'vitest';
import { dtmfOfInfo } from '../../../src/sip/dtmf-of-info.js';

describe('dtmfOfInfo (both engines read INFO DTMF through it)', () => {
  it('reads application/dtmf-relay with its duration, in any case and with parameters', () => {
    expect(dtmfOfInfo('Application/DTMF-Relay; charset=x', 'Signal= 5\r\nDuration=160\r\n')).toEqual({
      digit: '5',
      durationMs: 160,
      contentType: 'application/dtmf-relay',
    });
  });

  it('reads application/dtmf, and RFC 4733 event codes for * # A-D', () => {
    expect(dtmfOfInfo('application/dtmf', '#\r\n')).toEqual({ digit: '#', contentType: 'application/dtmf' });
    expect(dtmfOfInfo('application/dtmf-relay', 'Signal=10')?.digit).toBe('*');
    expect(dtmfOfInfo('application/dtmf-relay', 'Signal=15')?.digit).toBe('D');
    expect(dtmfOfInfo('application/dtmf-relay', 'signal=b')?.digit).toBe('B');
  });

  it('is not DTMF: another content type, no signal, an unknown signal, a bad duration is dropped', () => {
    expect(dtmfOfInfo('application/media_control+xml', 'Signal=5')).toBeUndefined();
    expect(dtmfOfInfo(undefined, '5')).toBeUndefined();
    expect(dtmfOfInfo('application/dtmf-relay', 'Duration=160')).toBeUndefined();
    expect(dtmfOfInfo('application/dtmf-relay', 'Signal=16')).toBeUndefined();
    expect(dtmfOfInfo('application/dtmf', 'E')).toBeUndefined();
    expect(dtmfOfInfo('application/dtmf-relay', 'Signal=1\nDuration=-3')).toEqual({
      digit: '1',
      contentType: 'application/dtmf-relay',
    });
  });
});
