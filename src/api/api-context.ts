import type { DncList } from '../compliance/dnc-list.js';
import type { DialerConfig, TrunkConfig } from '../config/config-schema.js';
import type { CampaignControl } from '../jobs/campaign-control.js';
import type { CampaignStore } from '../jobs/campaign-store.js';
import type { DialerClient } from '../jobs/dialer-client.js';

/** What every route works with; built once per server, closed with it. */
export interface ApiContext {
  readonly config: DialerConfig;
  readonly client: DialerClient;
  readonly store: CampaignStore;
  readonly control: CampaignControl;
  readonly dnc: DncList;
  /** Aborted when the server closes: long polls end at once instead of holding the shutdown. */
  readonly closing: AbortSignal;
  /** The named trunk, or the first; InvalidCampaignError naming `field` when unknown. */
  trunk(name: string | undefined, field: string): TrunkConfig;
}
