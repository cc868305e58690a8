import { DialerError } from '../kernel/index.js';

/** One problem found in the configuration, located by its key path (`trunks[0].password`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * The configuration cannot be used. Every problem found is listed at once, so an operator fixes
 * the file in one pass instead of one error per restart.
 */
export class ConfigError extends DialerError {
  readonly code = 'CONFIG_INVALID';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown }) {
    super(formatMessage(issues), options);
    this.issues = issues;
  }
}

function formatMessage(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  return `invalid configuration:\n${lines.join('\n')}`;
}
