import type { CampaignRecord, CampaignStore } from '../jobs/index.js';
import type { CampaignState } from '../jobs/index.js';

/**
 * Campaign records as a worker sees them: read once, then kept fresh by control messages
 * (pause/resume/cancel reach every worker within a second) and a short expiry as a safety net.
 */
export class CampaignStateCache {
  readonly #entries = new Map<string, { record: CampaignRecord | undefined; at: number }>();

  constructor(
    private readonly store: CampaignStore,
    /** Longest a record is trusted without a control message. Default: 1000 ms. */
    private readonly maxAgeMs = 1000,
  ) {}

  async get(name: string): Promise<CampaignRecord | undefined> {
    const entry = this.#entries.get(name);
    if (entry && Date.now() - entry.at < this.maxAgeMs) return entry.record;
    const record = await this.store.get(name);
    this.#entries.set(name, { record, at: Date.now() });
    return record;
  }

  /** A control message said the campaign changed state. */
  apply(name: string, state: CampaignState): void {
    const entry = this.#entries.get(name);
    if (entry?.record) this.#entries.set(name, { record: { ...entry.record, state }, at: Date.now() });
    else this.#entries.delete(name);
  }
}
