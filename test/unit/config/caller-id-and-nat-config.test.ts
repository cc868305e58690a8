import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

const trunk = (extra = '') => `trunks:\n  - name: carrier\n    domain: carrier.test\n${extra}`;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('caller-ID and NAT settings', () => {
  it('defaults: PAI as sip:, nat auto, a 25 s keep-alive', () => {
    const config = parseConfig(trunk(), {});
    expect(config.trunks[0]?.pAssertedIdentity).toBe('sip');
    expect(config.trunks[0]).not.toHaveProperty('allowedCallerIds');
    expect(config.sip).toMatchObject({ nat: 'auto', keepAliveMs: 25_000 });
  });

  it('reads the trunk presentation keys and the NAT keys', () => {
    const config = parseConfig(
      `sip: { nat: "off", keepAlive: 0 }\n` +
        trunk(
          `    callerId: "+5534999990000"\n    pAssertedIdentity: tel\n    diversion: "+5534988887777"\n` +
            `    allowedCallerIds: ["+55 34 99999-0000", "+553432100000"]\n`,
        ),
      {},
    );
    expect(config.trunks[0]).toMatchObject({
      pAssertedIdentity: 'tel',
      diversion: '+5534988887777',
      allowedCallerIds: ['+55 34 99999-0000', '+553432100000'],
    });
    expect(config.sip).toMatchObject({ nat: 'off', keepAliveMs: 0 });
  });

  it('refuses a bad form, a caller ID outside the allowed list, a bad entry and a sub-second keep-alive', () => {
    expect(messageOf(() => parseConfig(trunk('    pAssertedIdentity: yes\n'), {}))).toMatch(
      /trunks\[0\]\.pAssertedIdentity.*sip, tel, off/,
    );
    expect(
      messageOf(() =>
        parseConfig(trunk('    callerId: "+5534999990000"\n    allowedCallerIds: ["+553432100000"]\n'), {}),
      ),
    ).toMatch(/trunks\[0\]\.callerId.*\+5534999990000.*not in allowedCallerIds/);
    expect(messageOf(() => parseConfig(trunk('    allowedCallerIds: ["<sip:x>"]\n'), {}))).toMatch(
      /trunks\[0\]\.allowedCallerIds\[0\]/,
    );
    expect(messageOf(() => parseConfig(`sip: { keepAlive: 500ms }\n${trunk()}`, {}))).toMatch(
      /sip\.keepAlive.*at least 1s/,
    );
    expect(messageOf(() => parseConfig(`sip: { nat: stun }\n${trunk()}`, {}))).toMatch(/sip\.nat.*auto, off/);
  });
});
