import type { CampaignStore } from './campaign-store.js';
import type { DialerClient } from './dialer-client.js';
import { ImportStage } from './import-stage.js';

/**
 * How long an import taken back keeps its (aborted) entry, and so keeps gating its jobs, after its
 * claim: longer than an importer that only stalled takes to push the batch it had on its way.
 */
export const IMPORT_ABORT_GRACE_MS = 10 * 60_000;

/**
 * Takes back every import whose process died (or stalled) before it committed or cleaned up (its
 * lease ran out): claims it, so its importer can no longer commit, removes the jobs its commit had
 * added, drops its staged rows, and records it `aborted` on its campaign. Live imports (lease
 * present) are left alone. Safe to run from several processes, and again and again: the API
 * server runs it at start and every minute, and every import before it begins.
 * @returns the import ids this pass claimed (their jobs removed, or left gated for the next pass).
 */
export async function recoverInterruptedImports(deps: {
  readonly client: DialerClient;
  readonly store: CampaignStore;
  readonly now?: () => number;
}): Promise<string[]> {
  const { client, store } = deps;
  const now = deps.now ?? Date.now;
  const entries = await client.redis.hgetall(client.keys.imports);
  const recovered: string[] = [];
  for (const [id, json] of Object.entries(entries)) {
    let entry: { campaign: string; trunk: string };
    try {
      entry = JSON.parse(json) as { campaign: string; trunk: string };
    } catch {
      // Unreadable: nothing can be removed by trunk, and the entry would gate nothing we know of.
      await client.redis.hdel(client.keys.imports, id);
      continue;
    }
    const at = now();
    const claim = await ImportStage.claim(client, id, entry, at);
    if (claim === undefined) continue;
    await claim.stage.discard(at < claim.abortedAt + IMPORT_ABORT_GRACE_MS);
    if (!claim.first) continue;
    const status = await store.status(entry.campaign).catch(() => undefined);
    // Only the import that was last on the campaign is reported there, not an older one's ghost.
    if (status?.lastImport?.importId === id) {
      await store.recordImport(entry.campaign, {
        ...status.lastImport,
        state: 'aborted',
        reason: 'IMPORT_INTERRUPTED: the process running it stopped before it committed',
        at: new Date().toISOString(),
      });
    }
    recovered.push(id);
  }
  return recovered;
}
