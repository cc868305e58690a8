import type { CampaignSettings } from '../jobs/index.js';
import type { CampaignState } from '../jobs/index.js';
import type { CampaignStore } from '../jobs/index.js';
import { CampaignNotFoundError } from '../jobs/index.js';
import { FINAL_STATUSES, type FinalStatus } from '../jobs/index.js';
import type { LastImport } from '../jobs/index.js';

/** A campaign as `GET /v1/campaigns/:name` and its page show it. */
export interface CampaignSummary {
  readonly name: string;
  readonly state: CampaignState;
  readonly trunk: string;
  readonly createdAt: string;
  readonly settings: CampaignSettings;
  /** Numbers enqueued. */
  readonly total: number;
  /** Numbers with a final outcome. */
  readonly done: number;
  readonly pending: number;
  /** Calls placed, retries included. */
  readonly attempts: number;
  readonly byStatus: Readonly<Record<FinalStatus, number>>;
  /**
   * Answered among the numbers that were dialed to an end: `blocked` (DNC, calling hours) and
   * `cancelled` numbers are left out. Null before any.
   */
  readonly answerRate: number | null;
  /** How the latest import ended (committed, refused, aborted). */
  readonly lastImport?: LastImport;
  /** When the last number got its final outcome (ISO); only while `completed`. */
  readonly completedAt?: string;
}

/** @throws CampaignNotFoundError */
export async function readCampaignSummary(store: CampaignStore, name: string): Promise<CampaignSummary> {
  const record = await store.get(name);
  if (!record) throw new CampaignNotFoundError(name);
  const status = await store.status(name);
  const done = FINAL_STATUSES.reduce((sum, s) => sum + status.byStatus[s], 0);
  const dialed = done - status.byStatus.blocked - status.byStatus.cancelled;
  return {
    name,
    state: status.state,
    trunk: record.settings.trunk,
    createdAt: new Date(record.createdAt).toISOString(),
    settings: record.settings,
    total: status.total,
    done,
    pending: status.pending,
    attempts: status.attempts,
    byStatus: status.byStatus,
    answerRate: dialed > 0 ? status.byStatus.answered / dialed : null,
    ...(status.lastImport !== undefined && { lastImport: status.lastImport }),
    ...(status.completedAt !== undefined && { completedAt: new Date(status.completedAt).toISOString() }),
  };
}
