/** How a campaign's latest import ended, as its record keeps it. */
export interface LastImport {
  /**
   * `importing`: under way (or its process died; the next start takes it back). `committed`: its
   * jobs are dialable. `refused`: bad input (too large, malformed, no valid row); `aborted`: the
   * upload or the dialer broke off. Neither of the last two left a dialable job.
   */
  readonly state: 'importing' | 'committed' | 'refused' | 'aborted';
  readonly importId: string;
  /** Data rows read. */
  readonly rows: number;
  /** New jobs it made dialable (committed only). */
  readonly enqueued?: number;
  /** Why it was refused or aborted: an error code, then its message. */
  readonly reason?: string;
  /** ISO time of the state. */
  readonly at: string;
}

/** Hash field of the campaign record holding the JSON. */
export const LAST_IMPORT_FIELD = 'lastImport';

export function parseLastImport(json: string | undefined | null): LastImport | undefined {
  if (json === undefined || json === null) return undefined;
  try {
    return JSON.parse(json) as LastImport;
  } catch {
    // A record from a build that wrote something else: show no last import rather than fail the status.
    return undefined;
  }
}
