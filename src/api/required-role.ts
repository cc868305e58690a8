import { API_ROLES, type ApiRole } from '../config/index.js';
import { BULL_BOARD_PATH } from './bull-board-routes.js';

/** The audit log: who did what is itself for admins only. */
export const AUDIT_PATH = '/audit';

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The least role a request needs. Reads are for everyone; Bull Board writes (obliterate, clean,
 * add a job with any data) and the audit log are for admins; every other write (enqueue,
 * campaigns, DNC) is for operators. Unknown methods count as writes, so a new route is never
 * open to viewers by accident.
 */
export function requiredRole(method: string, path: string): ApiRole {
  if (under(path, AUDIT_PATH)) return 'admin';
  const read = method === 'GET' || method === 'HEAD';
  if (read) return 'viewer';
  if (under(path, BULL_BOARD_PATH)) return 'admin';
  return 'operator';
}

/** Whether `role` may do what `needed` may. */
export function roleAllows(role: ApiRole, needed: ApiRole): boolean {
  return API_ROLES.indexOf(role) >= API_ROLES.indexOf(needed);
}
