import { FINAL_STATUSES, type FinalStatus } from '../jobs/index.js';
import type { ApiPrincipal } from './api-principal.js';
import { campaignLiveView, type CampaignFigures } from './campaign-live-view.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import type { ThroughputSeries } from './throughput-series.js';
import { localTime } from './local-time.js';
import type { PostDialDelaySeries } from './post-dial-delay-series.js';
import { roleAllows } from './required-role.js';

export interface CampaignPageInput {
  readonly figures: CampaignFigures;
  readonly postDialDelay: PostDialDelaySeries;
  readonly principal?: ApiPrincipal;
  /** The browser session's CSRF token: the control buttons are shown only with it. */
  readonly csrfToken?: string;
  /** When the figures were read. */
  readonly now: Date;
}

const STATUS_COLOURS: Readonly<Record<FinalStatus, string>> = {
  answered: '#2e7d32',
  machine: '#00838f',
  'voicemail-left': '#1565c0',
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

const PENDING_PARTS = [
  ['waiting', 'waiting in the queue'],
  ['active', 'on a call now'],
  ['retrying', 'delayed by a retry (busy, no answer, carrier trouble)'],
  ['held', 'held before dialing (outside calling hours, daily cap, trunk held)'],
  ['parked', 'parked by a pause'],
] as const;

/**
 * The campaign page: progress, pace, what pending is made of, outcomes per status and per AMD
 * result, post-dial delay over time, exports, and the pause / resume / cancel buttons for
 * operators. Rendered whole on the server; the console script keeps the figures current from
 * `/campaigns/:name/live.json` (`data-live`).
 */
export function renderCampaignPage(input: CampaignPageInput): string {
  const { figures, postDialDelay: pdd } = input;
  const s = figures.summary;
  const view = campaignLiveView(figures);
  const f = (id: string): string => `<span data-testid="${id}">${escapeHtml(view.fields[id] ?? '')}</span>`;
  const path = `/campaigns/${encodeURIComponent(s.name)}`;
  const statusRows = FINAL_STATUSES.map((status) => {
    const n = s.byStatus[status];
    return `<tr data-status="${status}"${n === 0 ? ' class="zero"' : ''}>
  <th scope="row"><span class="dot" style="background:${STATUS_COLOURS[status]}"></span>${status}</th>
  <td class="num">${f(`count-${status}`)}</td>
  <td class="num">${f(`share-${status}`)}</td>
  <td class="bar"><span data-testid="bar-${status}" style="width:${view.widths[`bar-${status}`]};background:${STATUS_COLOURS[status]}"></span></td>
</tr>`;
  }).join('\n');
  const pendingRows = PENDING_PARTS.map(
    ([id, label]) => `<tr><th scope="row">${label}</th><td class="num">${f(`pending-${id}`)}</td></tr>`,
  ).join('\n');
  const amd = figures.amd;
  const amdRows = (['human', 'machine', 'unknown'] as const)
    .map((r) => `<tr><th scope="row">${r}</th><td class="num">${f(`amd-${r}`)}</td></tr>`)
    .join('\n');

  const body = `<div data-live="${path}/live.json">
<h1>Campaign <span data-testid="name">${escapeHtml(s.name)}</span> <span class="state ${s.state}" data-testid="state">${s.state}</span></h1>
<div class="sub">trunk ${escapeHtml(s.trunk)} · created ${localTime(s.createdAt)}${s.completedAt !== undefined ? ` · completed ${localTime(s.completedAt)}` : ''} · read ${localTime(input.now.getTime())}</div>
${actions(input, path)}
<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="${s.total}" aria-valuenow="${s.done}"><span data-testid="progress-bar" style="width:${view.widths['progress-bar']}"></span></div>
<div class="muted">${f('progress')}</div>

<div class="cards">
  ${card('Numbers', f('total'))}
  ${card('Done', f('done'))}
  ${card('Pending', f('pending'))}
  ${card('Calls placed', f('attempts'))}
  ${card('Answer rate', f('answer-rate'))}
  ${card('Calls/s now', f('cps'), 'last minute')}
  ${card('ETA', f('eta'), 'at the last minute’s pace')}
  <div class="card"><div class="label">PDD now</div><div class="value">${f('pdd-now')}</div><div class="note">${f('pdd-now-note')}</div><div class="note">newest outcomes: median <span data-testid="pdd">${pdd.p50Ms === null ? '–' : `${pdd.p50Ms} ms`}</span>${pdd.p95Ms === null ? '' : `, <span data-testid="pdd-note">p95 ${pdd.p95Ms} ms</span>`}</div></div>
</div>

<div class="cards">
<div>
<h2>Pending</h2>
<table data-testid="pending-parts">
<tbody>
${pendingRows}
</tbody>
</table>
${figures.backlog.partial ? '<p class="muted">Split from the first 20 000 delayed jobs.</p>' : ''}
</div>
<div>
<h2>Answering-machine detection</h2>
<table data-testid="amd">
<tbody>
${amdRows}
</tbody>
</table>
<p class="muted">Last decision of each finished number (amd on), from the newest ${amd.scanned} outcomes.</p>
</div>
</div>

<h2>Outcomes per status</h2>
<div class="scroll"><table data-testid="statuses">
<thead><tr><th>status</th><th class="num">numbers</th><th class="num">share</th><th></th></tr></thead>
<tbody>
${statusRows}
</tbody>
</table></div>

<h2>Throughput over time</h2>
${throughputChart(pdd.throughput)}

<h2>Post-dial delay over time</h2>
${pddChart(pdd)}
<p class="muted">Answer rate: answered among numbers dialed to an end (blocked and cancelled left out).
Post-dial delay: INVITE sent to first ringing or answer, per attempt; median and 95th percentile per interval
of ${pdd.bucketMs > 0 ? formatMs(pdd.bucketMs) : '–'}, from the newest ${pdd.scanned} outcomes.
Calls/s now: attempts of the numbers that finished in the last minute.</p>
<p>Export results: <a href="${path}/outcomes.csv" data-testid="export-csv">CSV</a> · <a href="${path}/outcomes.jsonl" data-testid="export-jsonl">JSON lines</a></p>
</div>`;
  return renderConsoleLayout({
    title: `Campaign ${s.name}`,
    section: 'campaigns',
    ...(input.principal !== undefined && { principal: input.principal }),
    body,
  });
}

/** Pause / resume / cancel, for operators with a browser session; each shown in the states it applies to. */
function actions(input: CampaignPageInput, path: string): string {
  const { principal, csrfToken } = input;
  if (principal === undefined || csrfToken === undefined || !roleAllows(principal.role, 'operator'))
    return '';
  const state = input.figures.summary.state;
  const hidden = (when: string): string => (when.split(' ').includes(state) ? '' : ' hidden');
  const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">`;
  return `<div class="actions" data-testid="actions">
<form method="post" action="${path}/pause" data-when="running"${hidden('running')}>${csrf}<button type="submit" data-testid="pause">Pause</button></form>
<form method="post" action="${path}/resume" data-when="paused"${hidden('paused')}>${csrf}<button type="submit" data-testid="resume">Resume</button></form>
<a href="${path}/cancel" class="button danger" data-testid="cancel" data-when="running paused"${hidden('running paused')}>Cancel…</a>
</div>`;
}

function card(label: string, valueHtml: string, note?: string, noteId?: string): string {
  const noteHtml =
    note === undefined
      ? ''
      : `<div class="note"${noteId === undefined ? '' : ` data-testid="${noteId}"`}>${escapeHtml(note)}</div>`;
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value">${valueHtml}</div>${noteHtml}</div>`;
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
        `<circle cx="${x(times[i] as number).toFixed(1)}" cy="${y(p.p50Ms).toFixed(1)}" r="3" fill="#3f6ad8"><title>${escapeHtml(p.at)}: p50 ${p.p50Ms} ms, p95 ${p.p95Ms} ms, ${p.samples} calls</title></circle>`,
    )
    .join('');
  return `<svg data-testid="pdd-chart" role="img" aria-label="post-dial delay over time" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${grid}
<polyline points="${line('p95Ms')}" fill="none" stroke="#f9a825" stroke-width="1.5" stroke-dasharray="4 3"/>
<polyline points="${line('p50Ms')}" fill="none" stroke="#3f6ad8" stroke-width="2"/>
${dots}
<text x="${left}" y="${height - 8}">${escapeHtml(clock(t0))}</text>
<text x="${width - right}" y="${height - 8}" text-anchor="end">${escapeHtml(clock(t1))}</text>
<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">— p50  - - p95 (times UTC)</text>
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

/** Attempts per interval as a bar sparkline, with its peak and mean in figures beside it. */
function throughputChart(t: ThroughputSeries): string {
  if (t.points.length === 0) {
    return '<p class="muted" data-testid="throughput-empty">No call attempt in the outcomes read yet.</p>';
  }
  const width = 720;
  const height = 60;
  const peak = Math.max(...t.points.map((p) => p.attempts));
  const barW = width / t.points.length;
  const bars = t.points
    .map((p, i) => {
      const h = peak > 0 ? (p.attempts / peak) * (height - 2) : 0;
      return `<rect x="${(i * barW).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#3f6ad8"><title>${p.attempts} attempts from ${p.at}</title></rect>`;
    })
    .join('');
  const perMinute = (n: number): string => ((n * 60_000) / t.bucketMs).toFixed(1);
  const mean = t.attempts / t.points.length;
  return `<svg class="chart" data-testid="throughput-chart" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="attempts per ${formatMs(t.bucketMs)}">${bars}</svg>
<p class="muted" data-testid="throughput-figures">${t.attempts} attempts in ${t.points.length} intervals of ${formatMs(t.bucketMs)}: peak ${perMinute(peak)}/min, mean ${perMinute(mean)}/min</p>`;
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
