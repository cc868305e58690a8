import type { ApiPrincipal } from './api-principal.js';
import type { CampaignRate } from './campaign-rates.js';
import type { CampaignSummary } from './campaign-summary.js';
import { CAMPAIGN_CREATE_PATH } from './campaign-create-page.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import { formatEta } from './format-eta.js';
import { localTime } from './local-time.js';
import { roleAllows } from './required-role.js';

export interface CampaignListRow {
  readonly summary: CampaignSummary;
  /** Absent when the campaign finished nothing in the last minute. */
  readonly rate?: CampaignRate;
}

export interface CampaignListPageInput {
  readonly rows: readonly CampaignListRow[];
  readonly principal?: ApiPrincipal;
  readonly now: Date;
}

/** `/` and `/campaigns`: every campaign with its state, progress, answer rate, pace and ETA. */
export function renderCampaignListPage(input: CampaignListPageInput): string {
  const rows = input.rows.map(({ summary: s, rate }) => {
    const share = s.total > 0 ? s.done / s.total : 0;
    const href = `/campaigns/${encodeURIComponent(s.name)}`;
    const eta =
      s.state === 'running' ? formatEta(s.pending, rate?.numbersPerS ?? 0) : s.pending === 0 ? 'done' : '–';
    return `<tr data-campaign="${escapeHtml(s.name)}">
  <th scope="row"><a href="${href}" data-testid="campaign-link">${escapeHtml(s.name)}</a></th>
  <td><span class="state ${s.state}" data-testid="list-state">${s.state}</span></td>
  <td><div class="progress small" title="${(100 * share).toFixed(1)}%"><span style="width:${(100 * share).toFixed(1)}%"></span></div>
    <span class="muted" data-testid="list-progress">${s.done} / ${s.total}</span></td>
  <td class="num" data-testid="list-answer-rate">${s.answerRate === null ? '–' : `${(100 * s.answerRate).toFixed(1)}%`}</td>
  <td class="num" data-testid="list-cps">${(rate?.callsPerS ?? 0).toFixed(2)}</td>
  <td class="num" data-testid="list-eta">${eta}</td>
  <td class="hide-narrow">${escapeHtml(s.trunk)}</td>
  <td class="hide-narrow">${localTime(s.createdAt)}</td>
</tr>`;
  });
  const table =
    rows.length === 0
      ? '<p class="muted" data-testid="no-campaigns">No campaigns yet. Create one here (New campaign), with <code>dialer campaign create</code> or <code>POST /v1/campaigns</code>.</p>'
      : `<div class="scroll"><table data-testid="campaigns">
<thead><tr><th>campaign</th><th>state</th><th>progress</th><th class="num">answer rate</th><th class="num">calls/s now</th><th class="num">ETA</th><th class="hide-narrow">trunk</th><th class="hide-narrow">created</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
  return renderConsoleLayout({
    title: 'Campaigns',
    section: 'campaigns',
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>Campaigns</h1>
${input.principal !== undefined && roleAllows(input.principal.role, 'operator') ? `<div class="actions"><a class="button" href="${CAMPAIGN_CREATE_PATH}" data-testid="new-campaign">New campaign…</a></div>\n` : ''}<div class="sub">${input.rows.length} campaign${input.rows.length === 1 ? '' : 's'} · read ${localTime(input.now.getTime())} · calls/s and ETA over the last minute</div>
${table}`,
  });
}
