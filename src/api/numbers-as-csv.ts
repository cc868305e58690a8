import { Readable } from 'node:stream';

/**
 * A JSON list of numbers as a one-column CSV (header `number`), so JSON and CSV uploads share one
 * import path: the same normalising, in-list dedupe, job ids and batching. `numbers[i]` is on line
 * `i + 2`.
 */
export function numbersAsCsv(numbers: readonly string[]): Readable {
  let i = 0;
  return Readable.from(
    (function* (): Generator<string> {
      yield 'number\n';
      while (i < numbers.length) {
        const batch: string[] = [];
        for (const end = Math.min(numbers.length, i + 1000); i < end; i++) {
          batch.push(
            `"${String(numbers[i])
              .replace(/"/g, '""')
              .replace(/[\r\n]/g, ' ')}"\n`,
          );
        }
        yield batch.join('');
      }
    })(),
  );
}

/** The index in the JSON list of a CSV line made by numbersAsCsv. */
export function numberIndexOfLine(line: number): number {
  return line - 2;
}
