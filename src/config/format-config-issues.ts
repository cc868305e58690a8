import type * as z from 'zod';
import type { ConfigIssue } from './config-error.js';
import { formatConfigPath } from './format-config-path.js';

// A key path through any of these names holds a secret: its value is never shown.
const SENSITIVE_KEY = /password|secret|token|authorization/i;
const MAX_SHOWN = 80;

/**
 * Zod issues as `ConfigIssue`s an operator can act on: one per unknown key, each naming its
 * path and, unless it holds a secret, the value found there.
 */
export function formatConfigIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // The value under a misspelt key is never shown: `pasword: hunter2` is still a password.
      for (const key of issue.keys)
        issues.push({ path: formatConfigPath([...issue.path, key]), message: 'unknown key' });
      continue;
    }
    const value = valueAt(input, issue.path);
    let message = `${issue.message}${describe(issue.path, value)}`;
    if (value === undefined) message = issue.code === 'custom' ? issue.message : 'is required';
    issues.push({ path: formatConfigPath(issue.path), message });
  }
  return issues;
}

/** ` (got "x")`, or ` (got [redacted])` under a secret key; nothing for a value that is missing. */
export function describe(path: readonly PropertyKey[], value: unknown): string {
  if (path.some((segment) => typeof segment === 'string' && SENSITIVE_KEY.test(segment))) {
    return ' (got [redacted])';
  }
  return ` (got ${show(value)})`;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  if (typeof value !== 'string') return String(value);
  // A URL may carry a password in its userinfo (`redis://:pw@host`).
  const masked = value.replace(/(\/\/[^/@:]*:)[^/@]*@/g, '$1[redacted]@');
  const clipped = masked.length > MAX_SHOWN ? `${masked.slice(0, MAX_SHOWN)}…` : masked;
  return JSON.stringify(clipped);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}
