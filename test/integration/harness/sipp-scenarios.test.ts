import { describe, expect, it } from 'vitest';
import { checkCredentials, digestAuthorization, parseDigestParams } from '../../helpers/digest.js';
import { startSipp, type StartSippOptions } from '../../helpers/sipp.js';
import { describeMessage, type WireMessage } from '../../helpers/sipp-trace.js';

// Proves the UAS fixtures by calling them with sipp UAC scenarios, before any engine is tested against them.

type Transport = 'udp' | 'tcp';
const TRANSPORTS: readonly Transport[] = ['udp', 'tcp'];
const GOOD = ['-au', 'dialer1', '-ap', 'secret'];

interface Exchange {
  readonly uasCode: number | null;
  readonly uacCode: number | null;
  /** From the UAS's side: `< INVITE` received, `> 200 INVITE` sent. */
  readonly flow: string[];
  readonly uas: WireMessage[];
  readonly uasErrors: string;
}

function flowOf(messages: readonly WireMessage[]): string[] {
  return messages.map((m) => `${m.direction === 'received' ? '<' : '>'} ${describeMessage(m)}`);
}

async function exchange(
  uasOptions: StartSippOptions,
  uacOptions: Omit<StartSippOptions, 'remote' | 'transport'>,
): Promise<Exchange> {
  const uas = await startSipp({ timeoutMs: 15_000, ...uasOptions });
  const uac = await startSipp({
    timeoutMs: 15_000,
    ...uacOptions,
    remote: uas.uri,
    transport: uas.transport,
  });
  const uasExit = await uas.exited;
  // A UAC left waiting for an answer the UAS will never send is not what these tests are about.
  await Promise.race([uac.exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  await uac.stop();
  const uacExit = await uac.exited;
  const messages = await uas.messages();
  return {
    uasCode: uasExit.code,
    uacCode: uacExit.code,
    flow: flowOf(messages),
    uas: messages,
    uasErrors: await uas.errors(),
  };
}

const received = (x: Exchange, method: string): WireMessage[] =>
  x.uas.filter((m) => m.direction === 'received' && m.method === method);
const sent = (x: Exchange, status: number): WireMessage[] =>
  x.uas.filter((m) => m.direction === 'sent' && m.status === status);
const tagOf = (header: string | undefined): string | undefined => /;\s*tag=([^;\s]+)/.exec(header ?? '')?.[1];

const ANSWERED = ['< INVITE', '> 100 INVITE', '> 180 INVITE', '> 200 INVITE', '< ACK'];

describe('sipp UAS fixtures driven by sipp UACs', () => {
  describe.each(TRANSPORTS)('over %s', (transport) => {
    it('uas-answer: 100, 180, 200 with SDP, then the caller hangs up', async () => {
      const x = await exchange({ scenario: 'uas-answer.xml', transport }, { scenario: 'uac-basic.xml' });
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.uacCode).toBe(0);
      expect(x.flow).toEqual([...ANSWERED, '< BYE', '> 200 BYE']);
      const ok = sent(x, 200)[0];
      expect(ok?.headers['content-type']).toBe('application/sdp');
      expect(ok?.body).toMatch(/^m=audio \d+ RTP\/AVP 0\r?$/m);
      expect(ok?.headers['contact']).toMatch(
        new RegExp(`^<sip:sipp@127\\.0\\.0\\.1:\\d+;transport=${transport.toUpperCase()}>$`),
      );
      expect(tagOf(ok?.headers['to'])).toBeDefined();
      expect(ok?.headers['via']).toBe(received(x, 'INVITE')[0]?.headers['via']);
      expect(ok?.headers['content-length']).toBe(String(Buffer.byteLength(ok?.body ?? '')));
    });

    it('uas-answer-then-bye: the callee hangs up, with the dialog turned around', async () => {
      const x = await exchange(
        { scenario: 'uas-answer-then-bye.xml', transport, vars: { hold_ms: '100' } },
        { scenario: 'uac-wait-bye.xml' },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.uacCode).toBe(0);
      expect(x.flow).toEqual([...ANSWERED, '> BYE', '< 200 BYE']);
      const invite = received(x, 'INVITE')[0];
      const bye = x.uas.find((m) => m.method === 'BYE');
      expect(bye?.requestUri).toBe(/<([^>]+)>/.exec(invite?.headers['contact'] ?? '')?.[1]);
      expect(tagOf(bye?.headers['to'])).toBe(tagOf(invite?.headers['from']));
      expect(tagOf(bye?.headers['from'])).toBe(tagOf(sent(x, 200)[0]?.headers['to']));
      expect(bye?.headers['call-id']).toBe(invite?.headers['call-id']);
    });

    it('uas-challenge-401: 401, then valid credentials are answered', async () => {
      const x = await exchange(
        { scenario: 'uas-challenge-401.xml', transport },
        { scenario: 'uac-auth.xml', extraArgs: GOOD },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.flow).toEqual(['< INVITE', '> 401 INVITE', '< ACK', ...ANSWERED, '< BYE', '> 200 BYE']);
      const challenge = parseDigestParams(sent(x, 401)[0]?.headers['www-authenticate'] ?? '');
      expect(challenge).toMatchObject({ realm: 'carrier.test', qop: 'auth', algorithm: 'MD5' });
      const credentials = received(x, 'INVITE')[1];
      expect(checkCredentials(credentials!, { username: 'dialer1', password: 'secret' }).valid).toBe(true);
      expect(parseDigestParams(credentials?.headers['authorization'] ?? '')['nonce']).toBe(
        challenge['nonce'],
      );
    });

    it('uas-challenge-407: Proxy-Authenticate, then valid credentials are answered', async () => {
      const x = await exchange(
        { scenario: 'uas-challenge-407.xml', transport },
        { scenario: 'uac-auth.xml', extraArgs: GOOD },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.flow).toEqual(['< INVITE', '> 407 INVITE', '< ACK', ...ANSWERED, '< BYE', '> 200 BYE']);
      expect(sent(x, 407)[0]?.headers['proxy-authenticate']).toMatch(
        /^Digest realm="carrier\.test", nonce="\w+"/,
      );
      const credentials = received(x, 'INVITE')[1]!;
      expect(credentials.headers['proxy-authorization']).toBeDefined();
      expect(checkCredentials(credentials, { username: 'dialer1', password: 'secret' }).valid).toBe(true);
      expect(checkCredentials(credentials, { username: 'dialer1', password: 'other' }).valid).toBe(false);
    });
  });

  it('uas-challenge-401: a wrong password gets 403 and the UAS reports failure', async () => {
    const x = await exchange(
      { scenario: 'uas-challenge-401.xml' },
      { scenario: 'uac-auth.xml', extraArgs: ['-au', 'dialer1', '-ap', 'wrong'] },
    );
    expect(x.uasCode).toBe(1);
    expect(x.flow).toEqual(['< INVITE', '> 401 INVITE', '< ACK', '< INVITE', '> 403 INVITE', '< ACK']);
  });

  it('uas-challenge-401: the expected credentials can be changed with -set user/pass', async () => {
    const x = await exchange(
      { scenario: 'uas-challenge-401.xml', vars: { user: 'trunk7', pass: 'hunter2' } },
      { scenario: 'uac-auth.xml', extraArgs: ['-au', 'trunk7', '-ap', 'hunter2'] },
    );
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(sent(x, 200)).toHaveLength(2);
  });

  it('uas-challenge-407: a wrong username gets 403 and the UAS reports failure', async () => {
    const x = await exchange(
      { scenario: 'uas-challenge-407.xml' },
      { scenario: 'uac-auth.xml', extraArgs: ['-au', 'intruder', '-ap', 'secret'] },
    );
    expect(x.uasCode).toBe(1);
    expect(x.flow.slice(-2)).toEqual(['> 403 INVITE', '< ACK']);
  });

  it('uas-stale-nonce: 401, then 401 stale=true with a new nonce, then answers', async () => {
    const x = await exchange(
      { scenario: 'uas-stale-nonce.xml' },
      { scenario: 'uac-auth.xml', extraArgs: GOOD },
    );
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.flow).toEqual([
      '< INVITE',
      '> 401 INVITE',
      '< ACK',
      '< INVITE',
      '> 401 INVITE',
      '< ACK',
      ...ANSWERED,
      '< BYE',
      '> 200 BYE',
    ]);
    const [first, second] = sent(x, 401).map((m) => parseDigestParams(m.headers['www-authenticate'] ?? ''));
    expect(first?.['stale']).toBeUndefined();
    expect(second?.['stale']).toBe('true');
    expect(second?.['nonce']).not.toBe(first?.['nonce']);
    const last = received(x, 'INVITE')[2];
    expect(parseDigestParams(last?.headers['authorization'] ?? '')['nonce']).toBe(second?.['nonce']);
  });

  it('uas-wrong-password: rejects credentials twice with fresh 401s, then ends', async () => {
    const x = await exchange(
      { scenario: 'uas-wrong-password.xml' },
      { scenario: 'uac-auth.xml', extraArgs: ['-au', 'dialer1', '-ap', 'wrong'] },
    );
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.flow).toEqual([
      '< INVITE',
      '> 401 INVITE',
      '< ACK',
      '< INVITE',
      '> 401 INVITE',
      '< ACK',
      '< INVITE',
      '> 401 INVITE',
      '< ACK',
    ]);
    const nonces = sent(x, 401).map((m) => parseDigestParams(m.headers['www-authenticate'] ?? '')['nonce']);
    expect(new Set(nonces).size).toBe(3);
  });

  it('uas-wrong-password: a caller that gives up after one rejection ends it too', async () => {
    const x = await exchange(
      { scenario: 'uas-wrong-password.xml' },
      {
        scenario: 'uac-auth.xml',
        extraArgs: ['-au', 'dialer1', '-ap', 'wrong'],
        vars: { max_challenges: '1' },
      },
    );
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.flow).toEqual(['< INVITE', '> 401 INVITE', '< ACK', '< INVITE', '> 401 INVITE', '< ACK']);
  });

  it.each([
    [404, 'Not Found'],
    [480, 'Temporarily Unavailable'],
    [486, 'Busy Here'],
    [503, 'Service Unavailable'],
    [603, 'Decline'],
  ])('uas-reject-%i: 100, then the final response (%s), ACKed', async (status, reason) => {
    const x = await exchange({ scenario: `uas-reject-${status}.xml` }, { scenario: 'uac-auth.xml' });
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.uacCode).toBe(0);
    expect(x.flow).toEqual(['< INVITE', '> 100 INVITE', `> ${status} INVITE`, '< ACK']);
    const final = sent(x, status)[0];
    expect(final?.reason).toBe(reason);
    expect(final?.headers['retry-after']).toBe(status === 503 ? '30' : undefined);
    expect(tagOf(final?.headers['to'])).toBeDefined();
  });

  describe.each(TRANSPORTS)('over %s', (transport) => {
    it('uas-ring-no-answer: CANCEL gets 200, the INVITE 487', async () => {
      const x = await exchange(
        { scenario: 'uas-ring-no-answer.xml', transport },
        { scenario: 'uac-cancel.xml' },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.flow).toEqual([
        '< INVITE',
        '> 100 INVITE',
        '> 180 INVITE',
        '< CANCEL',
        '> 200 CANCEL',
        '> 487 INVITE',
        '< ACK',
      ]);
      const invite = received(x, 'INVITE')[0];
      const terminated = sent(x, 487)[0];
      expect(terminated?.headers['via']).toBe(invite?.headers['via']);
      expect(terminated?.headers['cseq']).toBe(invite?.headers['cseq']);
      expect(tagOf(terminated?.headers['to'])).toBe(tagOf(sent(x, 180)[0]?.headers['to']));
    });

    it('uas-200-crosses-cancel: the INVITE is answered after the CANCEL, then ACK and BYE', async () => {
      const x = await exchange(
        { scenario: 'uas-200-crosses-cancel.xml', transport },
        { scenario: 'uac-cancel-crossed.xml' },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.flow).toEqual([
        '< INVITE',
        '> 100 INVITE',
        '> 180 INVITE',
        '< CANCEL',
        '> 200 CANCEL',
        '> 200 INVITE',
        '< ACK',
        '< BYE',
        '> 200 BYE',
      ]);
      expect(sent(x, 200)[1]?.body).toMatch(/^m=audio /m);
    });

    it('uas-reinvite: re-INVITE with SDP, OPTIONS, then BYE, all inside the dialog', async () => {
      const x = await exchange(
        { scenario: 'uas-reinvite.xml', transport },
        { scenario: 'uac-reinvite-target.xml' },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.flow).toEqual([
        ...ANSWERED,
        '> INVITE',
        '< 200 INVITE',
        '> ACK',
        '> OPTIONS',
        '< 200 OPTIONS',
        '> BYE',
        '< 200 BYE',
      ]);
      const contact = /<([^>]+)>/.exec(received(x, 'INVITE')[0]?.headers['contact'] ?? '')?.[1];
      const requests = x.uas.filter((m) => m.direction === 'sent' && m.method !== undefined);
      expect(requests.map((m) => m.requestUri)).toEqual([contact, contact, contact, contact]);
      expect(requests.map((m) => m.headers['cseq'])).toEqual(['1 INVITE', '1 ACK', '2 OPTIONS', '3 BYE']);
      expect(requests[0]?.body).toMatch(/^o=sipp 1 2 /m);
    });

    it('uas-register: challenge, grant, refresh, unregister', async () => {
      const x = await exchange(
        { scenario: 'uas-register.xml', transport },
        { scenario: 'uac-register.xml', extraArgs: GOOD },
      );
      expect(x.uasCode, x.uasErrors).toBe(0);
      expect(x.flow).toEqual([
        '< REGISTER',
        '> 401 REGISTER',
        '< REGISTER',
        '> 200 REGISTER',
        '< REGISTER',
        '> 200 REGISTER',
        '< REGISTER',
        '> 200 REGISTER',
      ]);
      const granted = sent(x, 200)[0];
      expect(granted?.headers['contact']).toMatch(/^<sip:dialer1@127\.0\.0\.1:\d+;transport=\w+>;expires=2$/);
      expect(granted?.headers['expires']).toBe('2');
      expect(received(x, 'REGISTER')[3]?.headers['expires']).toBe('0');
    });
  });

  it('uas-register: granted expiry follows -set expires', async () => {
    const x = await exchange(
      { scenario: 'uas-register.xml', vars: { expires: '30' } },
      { scenario: 'uac-register.xml', extraArgs: GOOD },
    );
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(sent(x, 200)[0]?.headers['expires']).toBe('30');
  });

  it('uas-register: an unregister before any refresh fails the UAS', async () => {
    const x = await exchange(
      { scenario: 'uas-register.xml' },
      { scenario: 'uac-register-unregister-only.xml', extraArgs: GOOD },
    );
    expect(x.uasCode).toBe(1);
  });

  it('uas-register: a wrong password gets 403 and fails the UAS', async () => {
    const x = await exchange(
      { scenario: 'uas-register.xml' },
      { scenario: 'uac-register.xml', extraArgs: ['-au', 'dialer1', '-ap', 'wrong'] },
    );
    expect(x.uasCode).toBe(1);
    expect(x.flow).toEqual(['< REGISTER', '> 401 REGISTER', '< REGISTER', '> 403 REGISTER']);
  });

  it('uas-register-423: 423 with Min-Expires, then 200 for 3600', async () => {
    const x = await exchange({ scenario: 'uas-register-423.xml' }, { scenario: 'uac-register-423.xml' });
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.flow).toEqual([
      '< REGISTER',
      '> 423 REGISTER',
      '< REGISTER',
      '> 200 REGISTER',
      '< REGISTER',
      '> 200 REGISTER',
    ]);
    expect(sent(x, 423)[0]?.headers['min-expires']).toBe('3600');
    expect(sent(x, 200)[0]?.headers['contact']).toMatch(/;expires=3600$/);
  });

  it('uas-register-423: asking again below Min-Expires fails the UAS', async () => {
    const x = await exchange(
      { scenario: 'uas-register-423.xml' },
      { scenario: 'uac-register-423.xml', vars: { second_expires: '1800' } },
    );
    expect(x.uasCode).toBe(1);
    expect(x.flow).toEqual(['< REGISTER', '> 423 REGISTER', '< REGISTER', '> 423 REGISTER']);
  });

  it('uas-drop-first-invite: ignores the INVITE and answers its retransmission', async () => {
    const x = await exchange({ scenario: 'uas-drop-first-invite.xml' }, { scenario: 'uac-basic.xml' });
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.flow).toEqual(['< INVITE', ...ANSWERED, '< BYE', '> 200 BYE']);
    const [first, retransmission] = received(x, 'INVITE');
    expect(retransmission?.raw).toBe(first?.raw);
  });

  describe('uas-two-calls-auth', () => {
    async function twoCalls(secondCall: (nonce: string, uri: string) => StartSippOptions) {
      const uas = await startSipp({ scenario: 'uas-two-calls-auth.xml', calls: 2, timeoutMs: 15_000 });
      const first = await startSipp({
        scenario: 'uac-auth.xml',
        remote: uas.uri,
        extraArgs: GOOD,
        timeoutMs: 10_000,
      });
      expect(await first.waitForExit()).toBe(0);
      const challenge = (await uas.messages()).find((m) => m.status === 401);
      const nonce = parseDigestParams(challenge?.headers['www-authenticate'] ?? '')['nonce'] ?? '';
      const second = await startSipp({
        ...secondCall(nonce, `sip:service@${uas.uri}`),
        remote: uas.uri,
        timeoutMs: 10_000,
      });
      const code = await uas.waitForExit();
      await second.stop();
      return { code, flow: flowOf(await uas.messages()), errors: await uas.errors() };
    }

    it('answers a second call whose first INVITE reuses the nonce with nc=00000002', async () => {
      const result = await twoCalls((nonce, uri) => ({
        scenario: 'uac-preauth.xml',
        vars: {
          authorization: digestAuthorization({
            username: 'dialer1',
            password: 'secret',
            realm: 'carrier.test',
            nonce,
            method: 'INVITE',
            uri,
            qop: 'auth',
            nc: '00000002',
            cnonce: 'c0ffee42',
          }),
        },
      }));
      expect(result.code, result.errors).toBe(0);
      expect(result.flow).toEqual([
        '< INVITE',
        '> 401 INVITE',
        '< ACK',
        ...ANSWERED,
        '< BYE',
        '> 200 BYE',
        ...ANSWERED,
        '< BYE',
        '> 200 BYE',
      ]);
    });

    it('fails when the second call comes without credentials', async () => {
      const result = await twoCalls(() => ({ scenario: 'uac-auth.xml', extraArgs: GOOD }));
      expect(result.code).toBe(1);
    });
  });

  it('uas-session-timer: 200 names the caller refresher, two UPDATE refreshes answered, then the UAS hangs up', async () => {
    const x = await exchange({ scenario: 'uas-session-timer.xml' }, { scenario: 'uac-session-timer.xml' });
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.uacCode).toBe(0);
    expect(x.flow).toEqual([
      '< INVITE',
      '> 100 INVITE',
      '> 200 INVITE',
      '< ACK',
      '< UPDATE',
      '> 200 UPDATE',
      '< UPDATE',
      '> 200 UPDATE',
      '> BYE',
      '< 200 BYE',
    ]);
    for (const ok of sent(x, 200)) {
      expect(ok.headers['session-expires']).toBe('2;refresher=uac');
      expect(ok.headers['allow']).toMatch(/\bUPDATE\b/);
    }
    expect(sent(x, 200)[0]?.headers['require']).toBe('timer');
  });

  it('uas-session-timer: a caller that never refreshes fails the UAS', async () => {
    const x = await exchange({ scenario: 'uas-session-timer.xml' }, { scenario: 'uac-basic.xml' });
    expect(x.uasCode).toBe(1);
  });

  it('uas-session-timer-uas-refresher: names itself refresher and waits for the BYE', async () => {
    const x = await exchange(
      { scenario: 'uas-session-timer-uas-refresher.xml' },
      { scenario: 'uac-basic.xml' },
    );
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.flow).toEqual(['< INVITE', '> 100 INVITE', '> 200 INVITE', '< ACK', '< BYE', '> 200 BYE']);
    expect(sent(x, 200)[0]?.headers['session-expires']).toBe('3;refresher=uas');
  });

  it("uas-183-early-media: 183 with SDP, then 200, ACK and the caller's BYE", async () => {
    const x = await exchange({ scenario: 'uas-183-early-media.xml' }, { scenario: 'uac-early-media.xml' });
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.uacCode).toBe(0);
    expect(x.flow).toEqual([
      '< INVITE',
      '> 100 INVITE',
      '> 183 INVITE',
      '> 200 INVITE',
      '< ACK',
      '< BYE',
      '> 200 BYE',
    ]);
    const progress = sent(x, 183)[0];
    expect(progress?.headers['content-type']).toBe('application/sdp');
    expect(progress?.body).toMatch(/^m=audio \d+ RTP\/AVP 0\r?$/m);
    expect(tagOf(progress?.headers['to'])).toBe(tagOf(sent(x, 200)[0]?.headers['to']));
  });

  it('uas-redirect-302: 302 with the new target in Contact, ACKed', async () => {
    const x = await exchange({ scenario: 'uas-redirect-302.xml' }, { scenario: 'uac-redirect.xml' });
    expect(x.uasCode, x.uasErrors).toBe(0);
    expect(x.uacCode).toBe(0);
    expect(x.flow).toEqual(['< INVITE', '> 100 INVITE', '> 302 INVITE', '< ACK']);
    expect(sent(x, 302)[0]?.headers['contact']).toBe('<sip:5534984149880@127.0.0.1:9>');
  });
});
