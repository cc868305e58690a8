import { describe, expect, it } from 'vitest';
import { splitCsvLine } from '../../../src/jobs/split-csv-line.js';

describe('splitCsvLine', () => {
  it('splits plain fields, keeping empty ones', () => {
    expect(splitCsvLine('+5534984149880,Ann,,x')).toEqual(['+5534984149880', 'Ann', '', 'x']);
    expect(splitCsvLine('a,')).toEqual(['a', '']);
    expect(splitCsvLine('')).toEqual(['']);
  });

  it('unquotes quoted fields with delimiters and doubled quotes inside', () => {
    expect(splitCsvLine('"+55 34 98414-9880","Smith, Ann","say ""hi"""')).toEqual([
      '+55 34 98414-9880',
      'Smith, Ann',
      'say "hi"',
    ]);
    expect(splitCsvLine('"",b')).toEqual(['', 'b']);
  });

  it('is lenient with quotes in unquoted fields and text after a closing quote', () => {
    expect(splitCsvLine('5"5,b')).toEqual(['5"5', 'b']);
    expect(splitCsvLine('"ab"c,d')).toEqual(['abc', 'd']);
  });

  it('reports a record that goes on past the line end', () => {
    expect(splitCsvLine('+447400123456,"line one')).toBeUndefined();
    expect(splitCsvLine('+447400123456,"line one\nline two",z')).toEqual([
      '+447400123456',
      'line one\nline two',
      'z',
    ]);
  });

  it('splits on another delimiter', () => {
    expect(splitCsvLine('a;"b;c";d', ';')).toEqual(['a', 'b;c', 'd']);
    expect(splitCsvLine('a\tb', '\t')).toEqual(['a', 'b']);
  });
});
