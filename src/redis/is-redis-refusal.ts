// Replies that mean the server will not serve us (credentials refused, an ACL user without the
// rights): retrying will not help until an operator fixes the config or the ACL.
const REFUSAL = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

/** True when an error is Redis refusing the login or the command (WRONGPASS, NOAUTH, NOPERM). */
export function isRedisRefusal(error: unknown): error is Error {
  return error instanceof Error && REFUSAL.test(error.message);
}
