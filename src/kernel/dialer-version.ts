import { readFileSync } from 'node:fs';

/**
 * The package's version, read once from package.json two folders up: the same path from
 * `src/kernel/` under tsx and from `dist/kernel/` when built, so `dialer --version` and the
 * default User-Agent can never disagree with what was installed.
 */
export const DIALER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What the dialer calls itself in SIP User-Agent headers unless `sip.userAgent` says otherwise. */
export const DEFAULT_USER_AGENT = `sip-dialer/${DIALER_VERSION}`;
