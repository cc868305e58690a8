import { createHash } from 'node:crypto';
import type { WireMessage } from './sipp-trace.js';

/**
 * RFC 2617 / RFC 3261 §22.4 digest arithmetic for checking what an engine sent, independently of the
 * engine's own code. sipp's verifyauth reads only `Authorization`, so `Proxy-Authorization` (407) is
 * checked here.
 */
export interface DigestInput {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** `auth` or absent (RFC 2069 style). */
  readonly qop?: string;
  readonly nc?: string;
  readonly cnonce?: string;
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export function digestResponse(input: DigestInput): string {
  const ha1 = md5(`${input.username}:${input.realm}:${input.password}`);
  const ha2 = md5(`${input.method}:${input.uri}`);
  if (input.qop === undefined) return md5(`${ha1}:${input.nonce}:${ha2}`);
  return md5(`${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}

/** `Digest realm="x", nonce="y", qop="auth", algorithm=MD5` → `{ realm: 'x', ... }` (keys lower-case). */
export function parseDigestParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  const text = header.replace(/^\s*Digest\s+/i, '');
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const match of text.matchAll(pattern)) {
    const name = match[1];
    if (name !== undefined) params[name.toLowerCase()] = match[2] ?? match[3] ?? '';
  }
  return params;
}

/** Builds an `Authorization`/`Proxy-Authorization` value, as a well-behaved client would. */
export function digestAuthorization(input: DigestInput): string {
  const response = digestResponse(input);
  const parts = [
    `username="${input.username}"`,
    `realm="${input.realm}"`,
    `nonce="${input.nonce}"`,
    `uri="${input.uri}"`,
    `response="${response}"`,
    'algorithm=MD5',
  ];
  if (input.qop !== undefined)
    parts.push(`qop=${input.qop}`, `nc=${input.nc ?? ''}`, `cnonce="${input.cnonce ?? ''}"`);
  return `Digest ${parts.join(', ')}`;
}

export interface CredentialCheck {
  readonly valid: boolean;
  /** The credentials' parameters (empty when the request carried none). */
  readonly params: Readonly<Record<string, string>>;
  readonly expected?: string;
}

/** Recomputes the digest response of a request's Authorization or Proxy-Authorization header. */
export function checkCredentials(
  request: WireMessage,
  credentials: { readonly username: string; readonly password: string },
): CredentialCheck {
  const header = request.headers['authorization'] ?? request.headers['proxy-authorization'];
  if (header === undefined || request.method === undefined) return { valid: false, params: {} };
  const params = parseDigestParams(header);
  const expected = digestResponse({
    username: credentials.username,
    password: credentials.password,
    realm: params['realm'] ?? '',
    nonce: params['nonce'] ?? '',
    method: request.method,
    uri: params['uri'] ?? '',
    ...(params['qop'] !== undefined
      ? { qop: params['qop'], nc: params['nc'], cnonce: params['cnonce'] }
      : {}),
  });
  return {
    valid: params['username'] === credentials.username && params['response'] === expected,
    params,
    expected,
  };
}
