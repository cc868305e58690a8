/** `text` as a literal in a Redis glob (SCAN MATCH, KEYS): `* ? [ ] \` escaped. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
