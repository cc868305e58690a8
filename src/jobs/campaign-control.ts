import type { CampaignStore } from './campaign-store.js';
import type { CampaignState } from './campaign-state.js';
import type { DialerClient } from './dialer-client.js';

/**
 * Operator actions on a campaign. The state change reaches every worker through the control
 * channel within a second; jobs a paused campaign parked are promoted on resume, and on cancel
 * every parked or delayed job of the campaign is promoted so it ends as `cancelled` now, not at
 * its retry time.
 */
export class CampaignControl {
  constructor(
    private readonly client: DialerClient,
    private readonly store: CampaignStore,
  ) {}

  async pause(name: string): Promise<CampaignState> {
    await this.store.setState(name, 'paused');
    return 'paused';
  }

  async resume(name: string): Promise<{ state: CampaignState; promoted: number }> {
    await this.store.setState(name, 'running');
    const promoted = await this.#promoteParked(name);
    // A campaign whose last calls ended while it was paused completes as it is resumed.
    return { state: (await this.store.state(name)) ?? 'running', promoted };
  }

  async cancel(name: string): Promise<{ state: CampaignState; promoted: number }> {
    await this.store.setState(name, 'cancelled');
    const parked = await this.#promoteParked(name);
    return { state: 'cancelled', promoted: parked + (await this.#promoteDelayed(name)) };
  }

  async #promoteParked(name: string): Promise<number> {
    const record = await this.store.get(name);
    if (!record) return 0;
    const key = this.client.keys.campaignParked(name);
    const redis = this.client.redis;
    const queue = this.client.queue(record.settings.trunk);
    let promoted = 0;
    for (;;) {
      const ids = await redis.spop(key, 500);
      if (ids.length === 0) return promoted;
      promoted += await this.#promote(queue, ids);
    }
  }

  /** Delayed jobs of the campaign (retries, calling hours): found by their `<campaign>~` job ids. */
  async #promoteDelayed(name: string): Promise<number> {
    const record = await this.store.get(name);
    if (!record) return 0;
    const queue = this.client.queue(record.settings.trunk);
    const delayedKey = `${queue.qualifiedName}:delayed`;
    let cursor = '0';
    let promoted = 0;
    do {
      const [next, members] = await this.client.redis.zscan(
        delayedKey,
        cursor,
        'MATCH',
        `${name}~*`,
        'COUNT',
        1000,
      );
      cursor = next;
      const ids = members.filter((_, i) => i % 2 === 0);
      promoted += await this.#promote(queue, ids);
    } while (cursor !== '0');
    return promoted;
  }

  async #promote(queue: ReturnType<DialerClient['queue']>, ids: readonly string[]): Promise<number> {
    let promoted = 0;
    for (const id of ids) {
      const job = await queue.getJob(id);
      try {
        await job?.promote();
        promoted += 1;
      } catch {
        // Not delayed any more (taken, finished): nothing to do.
      }
    }
    return promoted;
  }
}
