import type { CountryCode } from 'libphonenumber-js/max';
import { DialerError } from '../kernel/index.js';
import { callerIdAllowedProblem } from './caller-id-allowed-problem.js';
import { importCampaignCsv, type ImportProgress, type ImportReport } from './campaign-import.js';
import { normalizeCampaignSettings, type CampaignSettings } from './campaign-settings.js';
import type { CampaignRecord, CampaignStore } from './campaign-store.js';
import type { DialerClient } from './dialer-client.js';
import { ImportStage } from './import-stage.js';
import { InvalidCampaignError } from './invalid-campaign-error.js';
import type { LastImport } from './last-import.js';
import { recoverInterruptedImports } from './recover-interrupted-imports.js';
import { UploadAbortedError } from './upload-aborted-error.js';

export interface CampaignImportRequest {
  readonly name: string;
  /** `trunk` names the trunk the jobs go to; `defaultCountry` defaults to the trunk's. */
  readonly settings: CampaignSettings;
  /** The trunk's own default country (numbers without `+` when the campaign sets none). */
  readonly trunkCountry?: CountryCode;
  /** Default `running`. */
  readonly state?: 'running' | 'paused';
  /** The CSV, as bytes or text chunks. */
  readonly stream: NodeJS.ReadableStream;
  readonly column?: string;
  readonly delimiter?: ',' | ';' | '\t';
  /** Rows per staging write and per queue batch at the commit. Default 1000. */
  readonly batchSize?: number;
  /**
   * The import's policy, asked once the whole upload was read: a reason to refuse it (nothing is
   * committed, `lastImport.state` is `refused`), or undefined to commit. Default: refuse an upload
   * without a valid row.
   */
  readonly refuse?: (report: ImportReport) => string | undefined;
  readonly onProgress?: (progress: ImportProgress, phase: 'staging' | 'committing') => void;
}

export interface CampaignImportResult {
  /** False when the campaign existed with the same settings, or was taken back with its import. */
  readonly created: boolean;
  /**
   * True when this call created the campaign and its import was refused: the campaign was taken
   * back (no empty `running` campaign is left), and `lastImport` is only in this result.
   */
  readonly removed: boolean;
  readonly campaign: CampaignRecord;
  readonly report: ImportReport;
  readonly lastImport: LastImport;
}

const DEFAULT_BATCH = 1000;

const noValidRow = (report: ImportReport): string | undefined =>
  report.valid === 0 ? (report.rows === 0 ? 'no data rows' : 'no row holds a valid number') : undefined;

/** A campaign's caller IDs must all be ones its trunk may present, before anything is written. */
async function checkCallerIdsAllowed(client: DialerClient, raw: CampaignSettings): Promise<void> {
  // Checked first, so a malformed pool is refused for what it is.
  const settings = normalizeCampaignSettings(raw);
  const trunk = await client.trunkInfo(settings.trunk);
  if (trunk === undefined) return;
  const named: Array<[string, string]> = [
    ...(settings.callerId !== undefined ? [['callerId', settings.callerId] as [string, string]] : []),
    ...(settings.callerIds ?? []).map((id, i): [string, string] => [`callerIds[${i}]`, id]),
  ];
  for (const [field, value] of named) {
    const problem = callerIdAllowedProblem(value, trunk);
    if (problem !== undefined) throw new InvalidCampaignError(field, value, problem);
  }
}

/**
 * Create a campaign (or find it with the same settings) and import its CSV, all or nothing: rows
 * are validated and staged where no worker dials them, and only once the whole upload was read and
 * the policy accepts it are they committed (queued, then made dialable in one step). A refused or
 * broken-off upload, or a failure midway, leaves no dialable job and no staged data, and the
 * campaign's `lastImport` says what happened; a campaign this call created for that import is
 * removed again instead. One use case for the CLI, the API and the demo.
 * @throws the stream's error (BodyTooLargeError, UploadAbortedError, …), InvalidCampaignError,
 *   CampaignConflictError, or a Redis error: after the import was taken back and recorded.
 */
export async function createCampaignAndImport(
  deps: { readonly client: DialerClient; readonly store: CampaignStore },
  request: CampaignImportRequest,
): Promise<CampaignImportResult> {
  const { client, store } = deps;
  const { name, settings } = request;
  // Imports a crashed process left behind are taken back before a new one may count.
  await recoverInterruptedImports(deps);
  await checkCallerIdsAllowed(client, settings);
  const options = { state: request.state ?? 'running' } as const;
  let created = await store.create(name, settings, options);
  // A campaign made for this import goes again if the import does not commit.
  const undoCreate = async (): Promise<boolean> =>
    created.created ? store.removeIfEmpty(name).catch(() => false) : false;
  let stage: ImportStage;
  try {
    stage = await ImportStage.open(client, name, settings.trunk);
  } catch (error) {
    await undoCreate();
    throw error;
  }
  try {
    // Again under the import's lock: another import's failed first upload may have taken the
    // campaign back between the create above and the lock (a removal needs the lock free), and
    // jobs must never be committed to a campaign that is gone.
    const again = await store.create(name, settings, options);
    if (again.created) created = again;
  } catch (error) {
    await takeBack(stage, store, {
      state: 'aborted',
      importId: stage.id,
      rows: 0,
      reason: reasonOf(error),
      at: new Date().toISOString(),
    });
    throw error;
  }
  const batchSize = request.batchSize ?? DEFAULT_BATCH;
  let rows = 0;
  const ended = (state: LastImport['state'], extra: Partial<LastImport> = {}): LastImport => ({
    state,
    importId: stage.id,
    rows,
    ...extra,
    at: new Date().toISOString(),
  });
  let report: ImportReport;
  try {
    await store.recordImport(name, ended('importing'));
    report = await importCampaignCsv({
      stream: request.stream,
      campaign: name,
      trunk: {
        name: settings.trunk,
        ...(request.trunkCountry !== undefined && { defaultCountry: request.trunkCountry }),
      },
      ...(settings.defaultCountry !== undefined && { defaultCountry: settings.defaultCountry }),
      ...(request.column !== undefined && { column: request.column }),
      ...(request.delimiter !== undefined && { delimiter: request.delimiter }),
      jobDefaults: {
        ...(settings.callerId !== undefined && { callerId: settings.callerId }),
        importId: stage.id,
      },
      batchSize,
      enqueue: async (jobs) => {
        await stage.add(jobs);
        return jobs.length;
      },
      onProgress: (p) => {
        rows = p.rows;
        // Nothing is queued while staging: the rows so far are staged, not enqueued.
        request.onProgress?.({ ...p, enqueued: 0 }, 'staging');
      },
    });
    rows = report.rows;
  } catch (error) {
    await takeBack(stage, store, ended(stateOf(error), { reason: reasonOf(error) }));
    await undoCreate();
    throw error;
  }
  const refusal = (request.refuse ?? noValidRow)(report);
  if (refusal !== undefined) {
    const lastImport = ended('refused', { reason: refusal });
    await takeBack(stage, store, lastImport);
    const removed = await undoCreate();
    return {
      created: created.created && !removed,
      removed,
      campaign: created.campaign,
      report: unqueued(report),
      lastImport,
    };
  }
  try {
    const staged = report.enqueued;
    const added = await stage.commit(batchSize, (sofar, done) =>
      request.onProgress?.({ ...report, enqueued: sofar, rows: done }, 'committing'),
    );
    const lastImport = ended('committed', { enqueued: added });
    if (!(await stage.finish(added, lastImport))) {
      throw new UploadAbortedError('the import was taken back by a recovery while committing');
    }
    stage.close();
    return {
      created: created.created,
      removed: false,
      campaign: created.campaign,
      report: { ...report, enqueued: added, alreadyQueued: staged - added },
      lastImport,
    };
  } catch (error) {
    await takeBack(stage, store, ended('aborted', { reason: reasonOf(error) }));
    await undoCreate();
    throw error;
  }
}

/** Refused and aborted imports never counted: the report says nothing was enqueued. */
function unqueued(report: ImportReport): ImportReport {
  return { ...report, enqueued: 0, alreadyQueued: 0 };
}

async function takeBack(stage: ImportStage, store: CampaignStore, lastImport: LastImport): Promise<void> {
  stage.close();
  // The original error matters more to the caller than a failed clean-up: the lease runs out and
  // the next start's recovery finishes the job.
  await stage.discard().catch(() => undefined);
  await store.recordImport(stage.campaign, lastImport).catch(() => undefined);
}

function stateOf(error: unknown): LastImport['state'] {
  // Bad input the dialer refused on purpose (too large, unknown column) is a refusal; a broken
  // connection or a failing Redis is an abort.
  if (error instanceof UploadAbortedError) return 'aborted';
  return error instanceof DialerError ? 'refused' : 'aborted';
}

function reasonOf(error: unknown): string {
  if (error instanceof DialerError) return `${error.code}: ${error.message}`;
  return `IMPORT_FAILED: ${error instanceof Error ? error.message : String(error)}`;
}
