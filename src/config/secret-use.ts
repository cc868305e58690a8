import { randomBytes } from 'node:crypto';

/**
 * The secrets of a configuration file, by who uses them: a trunk's password (workers, `probe`),
 * the engine's (drachtio's secret), the status callbacks' signing key (workers), the API's tokens
 * (`serve`). A process is given only the variables of what it uses; one that only talks to Redis
 * (`dialer call`, `campaign`, `dnc`, `outcome`) needs none of them.
 */
export type SecretUse = 'trunks' | 'engine' | 'callbacks' | 'api';

export const SECRET_USES: readonly SecretUse[] = ['trunks', 'engine', 'callbacks', 'api'];

/** Which secret a config key path holds, if any. */
export function secretAt(path: readonly PropertyKey[]): SecretUse | undefined {
  const [section, second, third, fourth] = path;
  if (section === 'trunks' && typeof second === 'number' && third === 'password' && path.length === 3)
    return 'trunks';
  if (section === 'drachtio' && second === 'secret' && path.length === 2) return 'engine';
  if (section === 'callbacks' && second === 'secret' && path.length === 2) return 'callbacks';
  if (section === 'api' && second === 'token' && path.length === 2) return 'api';
  if (section === 'api' && second === 'tokens' && typeof third === 'number' && fourth === 'token')
    return path.length === 4 ? 'api' : undefined;
  return undefined;
}

/**
 * What stands for a secret whose variable is unset in a process that does not use it: random,
 * so it passes the checks a real one must (length, uniqueness) yet matches nothing anywhere:
 * were it ever sent (a bug), a carrier or a client would be refused, and no real secret leaks.
 */
export function unloadedSecret(): string {
  return `unloaded-${randomBytes(24).toString('hex')}`;
}
