/** The value of `name` in a Redis stream entry's flat `[field, value, …]` list. */
export function streamField(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
