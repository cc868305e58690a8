import { isIP } from 'node:net';

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** An IP literal (without brackets) or a DNS name that could be resolved. */
export function isHost(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  // All-numeric dotted names are mistyped IPv4 addresses (`10.0.0.256`), not host names.
  if (/^[\d.]+$/.test(name)) return false;
  return name.split('.').every((label) => LABEL.test(label));
}
