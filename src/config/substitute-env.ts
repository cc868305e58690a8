import type { ConfigIssue } from './config-error.js';
import { formatConfigPath } from './format-config-path.js';

export interface SubstituteEnvResult {
  readonly value: unknown;
  readonly issues: ConfigIssue[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SubstituteEnvOptions {
  /**
   * Whether the value at `path` may stay unloaded: a variable it references that is unset is then
   * no issue, and the whole value becomes `placeholder()` (a secret this process does not use).
   */
  readonly mayBeUnloaded?: (path: readonly PropertyKey[]) => boolean;
  readonly placeholder?: () => string;
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value (never in keys) of a parsed
 * YAML tree. `$${` stays a literal `${`. `:-` uses the default when the variable is unset or
 * empty, as the shell does. A variable that is unset with no default is an issue naming the
 * variable and the key path where it is referenced; the variable's value is never reported.
 */
export function substituteEnv(
  tree: unknown,
  env: NodeJS.ProcessEnv,
  options: SubstituteEnvOptions = {},
): SubstituteEnvResult {
  const issues: ConfigIssue[] = [];
  const value = walk(tree, [], env, issues, options);
  return { value, issues };
}

function walk(
  node: unknown,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  options: SubstituteEnvOptions,
): unknown {
  if (typeof node === 'string') {
    const own: ConfigIssue[] = [];
    const unset: string[] = [];
    const value = substituteString(node, path, env, own, unset);
    if (unset.length > 0 && own.length === 0 && options.mayBeUnloaded?.(path) === true) {
      return options.placeholder?.() ?? '';
    }
    const where = formatConfigPath(path);
    issues.push(
      ...own,
      ...unset.map((name) => ({ path: where, message: `environment variable ${name} is not set` })),
    );
    return value;
  }
  if (Array.isArray(node))
    return node.map((item, index) => walk(item, [...path, index], env, issues, options));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node))
      out[key] = walk(child, [...path, key], env, issues, options);
    return out;
  }
  return node;
}

function substituteString(
  text: string,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  unset: string[],
): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf('${', index);
    if (start === -1) {
      out += text.slice(index);
      break;
    }
    if (start > 0 && text[start - 1] === '$') {
      // `$${` escapes the reference: drop one `$` and keep `${` literally.
      out += text.slice(index, start - 1) + '${';
      index = start + 2;
      continue;
    }
    out += text.slice(index, start);
    const end = text.indexOf('}', start + 2);
    if (end === -1) {
      issues.push({
        path: formatConfigPath(path),
        message: 'unterminated ${ reference (write $${ for a literal)',
      });
      return out;
    }
    out += resolveReference(text.slice(start + 2, end), path, env, issues, unset);
    index = end + 1;
  }
  return out;
}

function resolveReference(
  body: string,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  /** Variables referenced with no default and not set: named in an issue, unless the value may stay unloaded. */
  unset: string[],
): string {
  const separator = body.indexOf(':-');
  const name = separator === -1 ? body : body.slice(0, separator);
  const fallback = separator === -1 ? undefined : body.slice(separator + 2);
  if (!NAME.test(name)) {
    issues.push({
      path: formatConfigPath(path),
      message: `invalid environment variable reference \${${name}}: expected \${NAME} or \${NAME:-default}`,
    });
    return '';
  }
  const value = env[name];
  if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
  if (value === undefined) {
    unset.push(name);
    return '';
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
