import { escapeHtml } from './escape-html.js';

/**
 * A moment as a `<time>` element: written in UTC with the zone named, so it reads right without
 * script; the console script rewrites it in the browser's own zone, naming that zone.
 */
export function localTime(at: number | string | undefined): string {
  if (at === undefined) return '–';
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  const iso = new Date(ms).toISOString();
  return `<time datetime="${escapeHtml(iso)}" data-local>${escapeHtml(`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`)}</time>`;
}
