import type { ApiRole } from '../config/index.js';

/** One state-changing request, allowed or refused. Never holds a token. */
export interface AuditEntry {
  /** ISO time the response went out. */
  readonly at: string;
  /** The token's name; absent when no valid token was offered (a 401). */
  readonly who?: string;
  readonly role?: ApiRole;
  readonly method: string;
  /** The route pattern (`/v1/campaigns/:name/pause`), or the path when no route matched. */
  readonly route: string;
  /** The campaign, call, queue, job or number acted on, when the route names one. */
  readonly target?: string;
  readonly status: number;
  readonly ip: string;
}
