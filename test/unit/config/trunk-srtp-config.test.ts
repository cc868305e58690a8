import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SRTP_MODE, parseConfig } from '../../../src/config/index.js';

const trunk = (extra = '') => `trunks:\n  - name: carrier\n    domain: carrier.test\n${extra}`;

describe('trunk media.srtp', () => {
  it('is off when left out, and reads optional and required (off unquoted stays the word)', () => {
    expect(DEFAULT_SRTP_MODE).toBe('off');
    expect(parseConfig(trunk(), {}).trunks[0]?.media).toEqual({ srtp: 'off' });
    for (const mode of ['off', 'optional', 'required'])
      expect(parseConfig(trunk(`    media: { srtp: ${mode} }\n`), {}).trunks[0]?.media.srtp).toBe(mode);
  });

  it('refuses another value or key, naming the field and the value', () => {
    let message = '';
    try {
      parseConfig(trunk('    media: { srtp: mandatory }\n'), {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /trunks\[0\]\.media\.srtp.*mandatory.*off, optional, required|trunks\[0\]\.media\.srtp.*off, optional, required.*mandatory/s,
    );
    expect(() => parseConfig(trunk('    media: { dtls: true }\n'), {})).toThrow(/trunks\[0\]\.media.*dtls/);
  });
});
