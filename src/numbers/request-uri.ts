import { InvalidRequestUriError } from './invalid-request-uri-error.js';

const DIAL_STRING = /^\+?[0-9#*]{1,32}$/;
/** hostname, IPv4 or bracketed IPv6, with an optional port: nothing that could open URI params or headers. */
const DOMAIN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * `sip:<dialString>@<domain>`. `#` is escaped as `%23`: RFC 3261 §25.1 does not allow it unescaped
 * in the user part, while `+` and `*` are allowed as they are.
 * @throws InvalidRequestUriError naming the bad part.
 */
export function buildRequestUri(dialString: string, domain: string): string {
  if (typeof dialString !== 'string' || !DIAL_STRING.test(dialString)) {
    throw new InvalidRequestUriError(
      'dialString',
      String(dialString),
      'expected an optional + then 0-9, # or *',
    );
  }
  if (typeof domain !== 'string' || domain.length > 255 || !DOMAIN.test(domain)) {
    throw new InvalidRequestUriError('domain', String(domain), 'expected host or host:port');
  }
  const port = /:([0-9]+)$/.exec(domain.startsWith('[') ? domain.slice(domain.indexOf(']')) : domain);
  if (port !== null && (Number(port[1]) < 1 || Number(port[1]) > 65535)) {
    throw new InvalidRequestUriError('domain', domain, 'port out of range');
  }
  return `sip:${dialString.replaceAll('#', '%23')}@${domain}`;
}
