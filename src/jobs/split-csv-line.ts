/**
 * Splits one CSV record (RFC 4180: `"` quotes a field, `""` inside quotes is a quote) into fields.
 * Returns `undefined` when the text ends inside a quoted field, i.e. the record goes on on the next
 * line: the caller appends `\n` and that line, and calls again. Lenient where RFC 4180 is strict:
 * text after a closing quote is kept, a quote inside an unquoted field is a literal character.
 */
export function splitCsvLine(text: string, delimiter = ','): string[] | undefined {
  // Most phone lists have no quotes at all.
  if (!text.includes('"')) return text.split(delimiter);

  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) return undefined;
        field += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
    }
    const end = text.indexOf(delimiter, i);
    field += end === -1 ? text.slice(i) : text.slice(i, end);
    fields.push(field);
    if (end === -1) return fields;
    i = end + delimiter.length;
  }
}
