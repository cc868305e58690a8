/**
 * How long `pending` numbers take at `perSecond`: `12 s`, `4 min`, `3 h 20 min`, `2 d 5 h`; `–` when
 * nothing moves (no rate to go by) and `done` when nothing is left.
 */
export function formatEta(pending: number, perSecond: number): string {
  if (pending <= 0) return 'done';
  if (!(perSecond > 0)) return '–';
  const s = Math.ceil(pending / perSecond);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
