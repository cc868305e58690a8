/** The notice the completing Lua step leaves in `DialerKeys.campaignCompletions`. */
export interface CampaignCompletionNotice {
  readonly campaign: string;
  readonly completedAt: number;
  readonly total: number;
  readonly done: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly url: string;
  /** The campaign's trunk, bound on the delivery's log lines. */
  readonly trunk: string;
}

/** A notice as stored, or undefined when it is not one (written by another version). */
export function parseCompletionNotice(json: string): CampaignCompletionNotice | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    typeof v.campaign !== 'string' ||
    typeof v.completedAt !== 'number' ||
    typeof v.total !== 'number' ||
    typeof v.done !== 'number' ||
    typeof v.url !== 'string' ||
    typeof v.trunk !== 'string'
  )
    return undefined;
  // cjson writes an empty table as `{}`, and Lua has no other way to say "no counts".
  const counts: Record<string, number> = {};
  if (typeof v.counts === 'object' && v.counts !== null) {
    for (const [status, n] of Object.entries(v.counts as Record<string, unknown>))
      if (typeof n === 'number') counts[status] = n;
  }
  return {
    campaign: v.campaign,
    completedAt: v.completedAt,
    total: v.total,
    done: v.done,
    counts,
    url: v.url,
    trunk: v.trunk,
  };
}
