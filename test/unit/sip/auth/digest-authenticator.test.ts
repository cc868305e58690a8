import { describe, expect, it } from 'vitest';

import {
  authorizationHeaderName,
  challengeHeaderName,
  challengeKind,
} from '../../../../src/sip/embedded/auth/index.js';

describe('digest header names', () => {
  it('pairs 401 with WWW-Authenticate / Authorization and 407 with the Proxy- forms', () => {
    expect(challengeHeaderName(401)).toBe('WWW-Authenticate');
    expect(challengeHeaderName(407)).toBe('Proxy-Authenticate');
    expect(challengeKind(401)).toBe('www');
    expect(challengeKind(407)).toBe('proxy');
    expect(authorizationHeaderName('www')).toBe('Authorization');
    expect(authorizationHeaderName('proxy')).toBe('Proxy-Authorization');
  });
});
