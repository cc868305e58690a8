/**
 * Splits a comma-joined header value (RFC 3261 §7.3.1) into its values. Commas inside a quoted
 * string (with backslash escapes) or inside `<...>` do not split. Values are trimmed; empty ones
 * are dropped. Single pass, so linear on any input.
 */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuotes) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inQuotes = false;
    } else if (c === 0x22) {
      inQuotes = true;
    } else if (inAngle) {
      if (c === 0x3e /* > */) inAngle = false;
    } else if (c === 0x3c /* < */) {
      inAngle = true;
    } else if (c === 0x2c /* , */) {
      push(out, value, start, i);
      start = i + 1;
    }
  }
  push(out, value, start, value.length);
  return out;
}

function push(out: string[], value: string, from: number, to: number): void {
  const part = value.slice(from, to).trim();
  if (part !== '') out.push(part);
}
