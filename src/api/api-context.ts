import type { DncList } from '../compliance/index.js';
import type { DialerConfig, TrunkConfig } from '../config/index.js';
import type { CampaignControl } from '../jobs/index.js';
import type { CampaignStore } from '../jobs/index.js';
import type { DialerClient } from '../jobs/index.js';
import type { OutcomeWaiters } from './outcome-waiters.js';

/** What every route works with; built once per server, closed with it. */
export interface ApiContext {
  readonly config: DialerConfig;
  readonly client: DialerClient;
  readonly store: CampaignStore;
  readonly control: CampaignControl;
  readonly dnc: DncList;
  /** Long polls on call outcomes, over one shared Redis reader. */
  readonly waiters: OutcomeWaiters;
  /** Aborted when the server closes: long polls end at once instead of holding the shutdown. */
  readonly closing: AbortSignal;
  /** The named trunk, or the first; InvalidCampaignError naming `field` when unknown. */
  trunk(name: string | undefined, field: string): TrunkConfig;
}
