import { describe, expect, it } from 'vitest';
import { runSipFuzz } from './run-sip-fuzz.js';

// The small run of `npm run fuzz` (which pushes 1 000 000): same generator, same checks.
describe('SIP fuzz: generated and mutated messages through the parsers and a running engine', () => {
  it(
    '20 000 messages: no crash, every ping answered, every call settled, heap flat',
    { timeout: 120_000 },
    async () => {
      const report = await runSipFuzz({ count: 20_000, seed: 20_000 });
      expect(report.crashes).toEqual([]);
      expect(report.handlerErrorSamples).toEqual([]);
      expect(report.probesUnanswered).toBe(0);
      expect(report.probes).toBe(4);
      expect(report.callsSettled).toBe(report.calls);
      // Both outcomes happen: the generator is not only producing garbage, nor only valid messages.
      expect(report.parsed).toBeGreaterThan(1000);
      expect(report.refused).toBeGreaterThan(1000);
      expect(report.engine.malformed).toBeGreaterThan(1000);
      expect(report.heapAfterMB - report.heapBeforeMB).toBeLessThan(32);
    },
  );
});
