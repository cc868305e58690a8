import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { dialerConfigSchema, type DialerConfig } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { formatConfigIssues } from './format-config-issues.js';
import { parseDrachtioUrl } from './parse-drachtio-url.js';
import { SECRET_USES, secretAt, unloadedSecret, type SecretUse } from './secret-use.js';
import { substituteEnv } from './substitute-env.js';

export interface LoadConfigOptions {
  /** The file to read (`--config`). Default: `env.DIALER_CONFIG`. */
  path?: string;
  /** Where `${VAR}`, `DIALER_CONFIG` and `DRACHTIO_URL` come from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * The secrets this process uses; the variables of the others may be unset (their values are
   * then random stand-ins that match nothing). Default: all of them.
   */
  secrets?: readonly SecretUse[];
}

/** How configuration text is parsed: where variables come from, which secrets are used. */
export type ParseConfigOptions = Pick<LoadConfigOptions, 'secrets'>;

/** Reads, substitutes, validates and deep-freezes the configuration file. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<DialerConfig> {
  const env = options.env ?? process.env;
  const path = options.path ?? env['DIALER_CONFIG'];
  if (path === undefined || path === '') {
    throw new ConfigError([
      { path: '--config', message: 'no configuration file: pass --config <file> or set DIALER_CONFIG' },
    ]);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ConfigError([{ path: '--config', message: `cannot read ${JSON.stringify(path)}: ${reason}` }], {
      cause,
    });
  }
  return parseConfig(text, env, options.secrets !== undefined ? { secrets: options.secrets } : {});
}

/** Validates configuration text (YAML). Throws `ConfigError` listing every problem found. */
export function parseConfig(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
  options: ParseConfigOptions = {},
): DialerConfig {
  const lineCounter = new LineCounter();
  // Not `prettyErrors`: its code frame would quote the offending line, which may hold a password.
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: `(yaml line ${line}, column ${col})`, message: error.message };
      }),
    );
  }
  const tree: unknown = document.toJS() ?? {};
  const used = new Set(options.secrets ?? SECRET_USES);
  const substituted = substituteEnv(tree, env, {
    mayBeUnloaded: (path) => {
      const use = secretAt(path);
      return use !== undefined && !used.has(use);
    },
    placeholder: unloadedSecret,
  });
  if (substituted.issues.length > 0) throw new ConfigError(substituted.issues);

  const input = withDrachtioFromEnv(substituted.value, env);
  if (!input.ok) throw new ConfigError([input.issue]);

  const result = dialerConfigSchema.safeParse(input.value);
  if (!result.success) throw new ConfigError(formatConfigIssues(result.error, input.value));
  return deepFreeze(result.data);
}

type WithDrachtio = { ok: true; value: unknown } | { ok: false; issue: ConfigIssue };

// `DRACHTIO_URL` is how the conformance suite and containers name a drachtio-server; it fills
// the section only when the file chose drachtio and left the section out.
function withDrachtioFromEnv(tree: unknown, env: NodeJS.ProcessEnv): WithDrachtio {
  const url = env['DRACHTIO_URL'];
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree) || url === undefined || url === '') {
    return { ok: true, value: tree };
  }
  const record = tree as Record<string, unknown>;
  if (record['engine'] !== 'drachtio' || record['drachtio'] !== undefined) return { ok: true, value: tree };
  const drachtio = parseDrachtioUrl(url);
  if (drachtio === undefined) {
    // The URL holds the secret, so it is not echoed back.
    return { ok: false, issue: { path: 'DRACHTIO_URL', message: 'expected drachtio://:secret@host:port' } };
  }
  return { ok: true, value: { ...record, drachtio } };
}
