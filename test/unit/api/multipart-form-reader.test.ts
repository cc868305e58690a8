import { describe, expect, it } from 'vitest';
import { ApiRequestError } from '../../../src/api/api-request-error.js';
import { MultipartFormReader } from '../../../src/api/multipart-form-reader.js';

const B = 'xYz-boundary';
const BODY =
  `preamble\r\n--${B}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\ntok\r\n` +
  `--${B}\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n` +
  `number\r\n+5534984180021\r\n--xYz-b not the end\r\n` +
  `--${B}--\r\n`;

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(size: number): Promise<{ csrf: string; file: string; head: unknown }> {
  const reader = new MultipartFormReader(chunksOf(BODY, size), B);
  expect(await reader.nextPart()).toEqual({ name: 'csrf' });
  const csrf = await reader.value('csrf', 100);
  const head = await reader.nextPart();
  const parts: Buffer[] = [];
  for await (const chunk of reader.body()) parts.push(chunk);
  expect(await reader.nextPart()).toBeUndefined();
  return { csrf, file: Buffer.concat(parts).toString(), head };
}

describe('MultipartFormReader', () => {
  it('reads the same parts whatever the chunk sizes (a boundary split across chunks included)', async () => {
    for (const size of [1, 2, 7, 16, 10_000]) {
      expect(await readAll(size)).toEqual({
        csrf: 'tok',
        head: { name: 'file', filename: 'a.csv' },
        file: 'number\r\n+5534984180021\r\n--xYz-b not the end',
      });
    }
  });

  it('refuses a body cut inside a part, and a field over its limit, naming it', async () => {
    const cut = new MultipartFormReader(chunksOf(BODY.slice(0, BODY.indexOf('tok') + 2), 5), B);
    await cut.nextPart();
    await expect(cut.value('csrf', 100)).rejects.toThrow(ApiRequestError);
    const long = new MultipartFormReader(chunksOf(BODY, 3), B);
    await long.nextPart();
    await expect(long.value('csrf', 2)).rejects.toThrow(/^csrf undefined: longer than 2 bytes/);
  });

  it('finds the boundary of a content type, quoted or not', () => {
    expect(MultipartFormReader.boundaryOf(`multipart/form-data; boundary=${B}`)).toBe(B);
    expect(MultipartFormReader.boundaryOf(`Multipart/Form-Data; charset=utf-8; boundary="a b"`)).toBe('a b');
    expect(MultipartFormReader.boundaryOf('text/csv')).toBeUndefined();
    expect(MultipartFormReader.boundaryOf('multipart/form-data')).toBeUndefined();
  });
});
