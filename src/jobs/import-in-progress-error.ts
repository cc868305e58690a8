import { DialerError } from '../kernel/index.js';

/**
 * Another import into the same campaign is still running. Code: `IMPORT_IN_PROGRESS`. One import
 * per campaign at a time: two at once would each count the same new rows, and one refused would
 * take back jobs the other had committed.
 */
export class ImportInProgressError extends DialerError {
  readonly code = 'IMPORT_IN_PROGRESS';

  constructor(
    readonly campaign: string,
    /** The running import's id. */
    readonly importId: string,
  ) {
    super(
      `campaign ${JSON.stringify(campaign)}: import ${importId} is still running; try again when it has ended`,
    );
  }
}
