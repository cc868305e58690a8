import { describe, expect, it } from 'vitest';
import { campaignRates, formatCampaignWatch } from '../../../src/cli/format-campaign-watch.js';
import { StatusBlock } from '../../../src/cli/status-block.js';
import type { CampaignStatus } from '../../../src/jobs/index.js';

function status(over: Partial<CampaignStatus> = {}): CampaignStatus {
  return {
    name: 'spring',
    state: 'running',
    total: 100,
    pending: 60,
    attempts: 50,
    byStatus: { answered: 30, busy: 10 } as CampaignStatus['byStatus'],
    ...over,
  };
}

describe('StatusBlock', () => {
  it('on a terminal, redraws the block in place: back up to its first line, every line cleared', () => {
    const out: string[] = [];
    const block = new StatusBlock((t) => out.push(t), true, 80);
    block.draw(['one', 'two', 'three']);
    block.draw(['uno', 'dos', 'tres']);
    expect(out[0]).toBe('\x1b[2Kone\n\x1b[2Ktwo\n\x1b[2Kthree\n');
    expect(out[1]).toBe('\x1b[3F\x1b[2Kuno\n\x1b[2Kdos\n\x1b[2Ktres\n');
    // A shorter block clears the old one's last line and leaves the cursor under the new one.
    block.draw(['a', 'b']);
    expect(out[2]).toBe('\x1b[3F\x1b[2Ka\n\x1b[2Kb\n\x1b[2K\n\x1b[1F');
  });

  it('cuts each line to the width, and prints one plain line per refresh when not a terminal', () => {
    const tty: string[] = [];
    new StatusBlock((t) => tty.push(t), true, 10).draw(['0123456789abc']);
    expect(tty[0]).toBe('\x1b[2K01234567…\n');
    const piped: string[] = [];
    const block = new StatusBlock((t) => piped.push(t), false, 10);
    block.draw(['first line', '  second'], 'first line | second');
    block.draw(['x', 'y']);
    expect(piped).toEqual(['first line | second\n', 'x  y\n']);
  });
});

describe('formatCampaignWatch', () => {
  it('shows progress, INVITEs/s, numbers done per second, ETA and the counts per status', () => {
    const before = status();
    const after = status({
      pending: 50,
      attempts: 70,
      byStatus: { answered: 38, busy: 12 } as CampaignStatus['byStatus'],
    });
    const rates = campaignRates(before, after, 2);
    expect(rates).toEqual({ invitesPerSecond: 10, donePerSecond: 5 });
    const lines = formatCampaignWatch(after, rates);
    expect(lines[0]).toContain('campaign spring: running');
    expect(lines[0]).toContain('50/100 done, 50 pending');
    expect(lines[1]).toBe('  10.0 INVITEs/s  5.0 numbers done/s  ETA 10 s');
    expect(lines[2]).toBe('  answered 38, busy 12');
  });

  it('says the ETA is unknown while nothing finishes, and shows no rate before a second reading', () => {
    const still = status();
    expect(formatCampaignWatch(still, campaignRates(still, still, 1))[1]).toContain('ETA unknown');
    expect(formatCampaignWatch(still, undefined)[1]).toBe('  – INVITEs/s  – numbers done/s  ETA –');
  });
});
