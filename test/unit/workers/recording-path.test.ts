import { basename, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingPath } from '../../../src/workers/recording-path.js';

describe('recordingPath', () => {
  it('names the file by job id and attempt under the directory', () => {
    expect(recordingPath('/rec', 'spring~+5534984149880', 2)).toBe('/rec/spring~+5534984149880-2.wav');
    expect(recordingPath('rec', 'u~0b6d', 1)).toBe(resolve('rec', 'u~0b6d-1.wav'));
  });

  it('keeps nothing of a job id that could leave the directory or hide the file, and keeps ids apart', () => {
    for (const id of ['k~../../etc/passwd', 'k~..', 'k~a/b', 'k~.hidden', 'k~a\u0000b', 'k~a\\b']) {
      const path = recordingPath('/rec', id, 1);
      expect(dirname(path)).toBe('/rec');
      expect(basename(path)).toMatch(/^[A-Za-z0-9_~+-]+-[0-9a-f]{8}-1\.wav$/);
    }
    expect(recordingPath('/rec', 'k~a.b', 1)).not.toBe(recordingPath('/rec', 'k~a_b', 1));
    expect(basename(recordingPath('/rec', `k~${'x'.repeat(128)}`, 1)).length).toBeLessThan(150);
  });
});
