import { FINAL_STATUSES, type FinalStatus } from '../jobs/index.js';
import type { CampaignSummary } from './campaign-summary.js';
import type { PostDialDelaySeries } from './post-dial-delay-series.js';

export interface CampaignPageInput {
  readonly summary: CampaignSummary;
  readonly postDialDelay: PostDialDelaySeries;
  /** Seconds between automatic reloads; 0: none. */
  readonly refreshSeconds: number;
  /** When the figures were read. */
  readonly now: Date;
}

const STATUS_COLOURS: Readonly<Record<FinalStatus, string>> = {
  answered: '#2e7d32',
  busy: '#ef6c00',
  'no-answer': '#f9a825',
  declined: '#6d4c41',
  'invalid-number': '#8e24aa',
  unreachable: '#c62828',
  'auth-failed': '#ad1457',
  blocked: '#455a64',
  cancelled: '#9e9e9e',
  failed: '#d32f2f',
};

const CHART = { width: 720, height: 220, left: 56, right: 16, top: 16, bottom: 40 };

/**
 * The campaign page: progress, outcomes per status, answer rate and post-dial delay over time, as
 * one self-contained HTML document (inline CSS and SVG, no script), so it works behind the same
 * token as the API and under a strict Content-Security-Policy.
 */
export function renderCampaignPage(input: CampaignPageInput): string {
  const { summary: s, postDialDelay: pdd } = input;
  const progress = s.total > 0 ? s.done / s.total : 0;
  const maxCount = Math.max(1, ...FINAL_STATUSES.map((st) => s.byStatus[st]));
  const rows = FINAL_STATUSES.map((status) => {
    const n = s.byStatus[status];
    const share = s.done > 0 ? `${((100 * n) / s.done).toFixed(1)}%` : '–';
    return `<tr data-status="${status}"${n === 0 ? ' class="zero"' : ''}>
  <th scope="row"><span class="dot" style="background:${STATUS_COLOURS[status]}"></span>${status}</th>
  <td class="num" data-testid="count-${status}">${n}</td>
  <td class="num">${share}</td>
  <td class="bar"><span style="width:${((100 * n) / maxCount).toFixed(1)}%;background:${STATUS_COLOURS[status]}"></span></td>
</tr>`;
  }).join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${input.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${input.refreshSeconds}">` : ''}
<title>${esc(s.name)} · sip-dialer campaign</title>
<style>
  body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 820px; color: #1d2330; padding: 0 16px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  .sub { color: #5f6b7a; margin-bottom: 20px; }
  .state { display: inline-block; padding: 1px 10px; border-radius: 10px; font-size: 13px; color: #fff; vertical-align: middle; }
  .state.running { background: #2e7d32; } .state.paused { background: #ef6c00; } .state.cancelled { background: #757575; }
  .progress { background: #e6e9ef; border-radius: 6px; height: 18px; overflow: hidden; }
  .progress > span { display: block; height: 100%; background: #3f6ad8; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin: 18px 0; }
  .card { border: 1px solid #dde2ea; border-radius: 8px; padding: 10px 12px; }
  .card .label { color: #5f6b7a; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 22px; font-weight: 600; white-space: nowrap; }
  .card .note { color: #5f6b7a; font-size: 12px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: 4px 8px; text-align: left; border-bottom: 1px solid #eef0f4; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; width: 70px; }
  td.bar span { display: block; height: 12px; border-radius: 3px; min-width: 1px; }
  tr.zero { color: #9aa3af; }
  .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 8px; }
  h2 { font-size: 17px; margin: 26px 0 8px; }
  svg text { font-size: 11px; fill: #5f6b7a; }
  .muted { color: #5f6b7a; font-size: 13px; }
</style>
</head>
<body>
<h1>Campaign <span data-testid="name">${esc(s.name)}</span> <span class="state ${s.state}" data-testid="state">${s.state}</span></h1>
<div class="sub">trunk ${esc(s.trunk)} · created ${esc(s.createdAt)} · read ${esc(input.now.toISOString())}</div>

<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="${s.total}" aria-valuenow="${s.done}"><span style="width:${(100 * progress).toFixed(1)}%"></span></div>
<div class="muted" data-testid="progress">${s.done} of ${s.total} numbers done (${(100 * progress).toFixed(1)}%), ${s.pending} pending</div>

<div class="cards">
  ${card('Numbers', String(s.total), 'total')}
  ${card('Done', String(s.done), 'done')}
  ${card('Pending', String(s.pending), 'pending')}
  ${card('Calls placed', String(s.attempts), 'attempts')}
  ${card('Answer rate', s.answerRate === null ? '–' : `${(100 * s.answerRate).toFixed(1)}%`, 'answer-rate')}
  ${card('PDD median', pdd.p50Ms === null ? '–' : `${pdd.p50Ms} ms`, 'pdd', pdd.p95Ms === null ? undefined : `p95 ${pdd.p95Ms} ms`)}
</div>

<h2>Outcomes per status</h2>
<table data-testid="statuses">
<thead><tr><th>status</th><th class="num">numbers</th><th class="num">share</th><th></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>

<h2>Post-dial delay over time</h2>
${pddChart(pdd)}
<p class="muted">Answer rate: answered among numbers dialed to an end (blocked and cancelled left out).
Post-dial delay: INVITE sent to first ringing or answer, per attempt; median and 95th percentile per interval
of ${pdd.bucketMs > 0 ? formatMs(pdd.bucketMs) : '–'}, from the newest ${pdd.scanned} outcomes.
Export: <a href="/v1/campaigns/${encodeURIComponent(s.name)}/outcomes?format=csv">CSV</a> (with a Bearer token).</p>
</body>
</html>
`;
}

function card(label: string, value: string, id: string, note?: string): string {
  const noteHtml = note === undefined ? '' : `<div class="note" data-testid="${id}-note">${esc(note)}</div>`;
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value" data-testid="${id}">${esc(value)}</div>${noteHtml}</div>`;
}

function pddChart(pdd: PostDialDelaySeries): string {
  if (pdd.points.length === 0) {
    return '<p class="muted" data-testid="pdd-chart-empty">No post-dial delay measured yet.</p>';
  }
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxMs = niceCeil(Math.max(...pdd.points.map((p) => p.p95Ms)));
  const times = pdd.points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t: number): number => left + (t1 === t0 ? plotW / 2 : ((t - t0) / (t1 - t0)) * plotW);
  const y = (ms: number): number => top + plotH - (ms / maxMs) * plotH;
  const line = (key: 'p50Ms' | 'p95Ms'): string =>
    pdd.points.map((p, i) => `${x(times[i] as number).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const yy = (top + plotH - f * plotH).toFixed(1);
      return `<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" stroke="#eef0f4"/><text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${Math.round(f * maxMs)} ms</text>`;
    })
    .join('');
  const dots = pdd.points
    .map(
      (p, i) =>
        `<circle cx="${x(times[i] as number).toFixed(1)}" cy="${y(p.p50Ms).toFixed(1)}" r="3" fill="#3f6ad8"><title>${esc(p.at)}: p50 ${p.p50Ms} ms, p95 ${p.p95Ms} ms, ${p.samples} calls</title></circle>`,
    )
    .join('');
  return `<svg data-testid="pdd-chart" role="img" aria-label="post-dial delay over time" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${grid}
<polyline points="${line('p95Ms')}" fill="none" stroke="#f9a825" stroke-width="1.5" stroke-dasharray="4 3"/>
<polyline points="${line('p50Ms')}" fill="none" stroke="#3f6ad8" stroke-width="2"/>
${dots}
<text x="${left}" y="${height - 8}">${esc(clock(t0))}</text>
<text x="${width - right}" y="${height - 8}" text-anchor="end">${esc(clock(t1))}</text>
<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">— p50  - - p95 (UTC)</text>
</svg>`;
}

function niceCeil(ms: number): number {
  if (ms <= 0) return 100;
  const step = 10 ** Math.floor(Math.log10(ms));
  return Math.ceil(ms / step) * step;
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
