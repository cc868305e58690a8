import type { AttemptRecord } from '../jobs/index.js';
import type { ApiPrincipal } from './api-principal.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import { localTime } from './local-time.js';
import type { CallState } from '../jobs/index.js';

export interface CallStoryPageInput {
  readonly call: CallState;
  readonly principal?: ApiPrincipal;
}

/**
 * `GET /calls/:id`: a number's story, every attempt with its Request-URI, SIP code and reason,
 * timings, AMD decision and what the retry policy made of it. Everything from a carrier (reason
 * phrases, URIs) is escaped: it is untrusted text.
 */
export function renderCallStoryPage(input: CallStoryPageInput): string {
  const { call } = input;
  const o = call.outcome;
  const attempts = o?.attempts ?? call.attempts ?? [];
  const number = o?.to ?? call.number;
  const campaign = o?.campaign ?? call.campaign;
  const facts: Array<[string, string]> = [
    ['number', number === undefined ? '–' : `<code>${escapeHtml(number)}</code>`],
    [
      'campaign',
      campaign === undefined
        ? '–'
        : `<a href="/campaigns/${encodeURIComponent(campaign)}">${escapeHtml(campaign)}</a>`,
    ],
    ['trunk', escapeHtml(o?.trunk ?? call.trunk ?? '–')],
  ];
  if (o !== undefined) {
    facts.push(
      [
        'status',
        `<span class="state ${escapeHtml(o.status)}" data-testid="outcome-status">${escapeHtml(o.status)}</span>`,
      ],
      ['reason', `<span data-testid="outcome-reason">${escapeHtml(o.reason)}</span>`],
      ['enqueued', localTime(o.enqueuedAt)],
      ['completed', localTime(o.completedAt)],
    );
    if (o.talkMs !== undefined) facts.push(['talk', ms(o.talkMs)]);
    if (o.digits !== undefined) facts.push(['digits', `<code>${escapeHtml(o.digits)}</code>`]);
    if (o.amd !== undefined) facts.push(['AMD', escapeHtml(`${o.amd.result} (${o.amd.reason})`)]);
  } else {
    facts.push([
      'in the queue',
      `<span class="state" data-testid="queue-state">${escapeHtml(call.state)}</span>`,
    ]);
  }
  const factRows = facts.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n');
  const rows = attempts.map(attemptRow).join('\n');
  const table =
    attempts.length === 0
      ? '<p class="muted" data-testid="no-attempts">No attempt yet.</p>'
      : `<div class="scroll"><table data-testid="attempts">
<thead><tr><th>#</th><th>started</th><th>Request-URI</th><th class="num">SIP</th><th>reason</th><th class="num">PDD</th><th class="num">setup</th><th class="num">talk</th><th>AMD</th><th>ended</th><th>then</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
  return renderConsoleLayout({
    title: `Call ${call.jobId}`,
    section: 'calls',
    ...(number !== undefined && { query: number }),
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>Call <code data-testid="job-id">${escapeHtml(call.jobId)}</code></h1>
<div class="scroll"><table data-testid="call-facts"><tbody>
${factRows}
</tbody></table></div>
<h2>Attempts (${attempts.length})</h2>
${table}
<p class="muted">A dial-format fallback (404, 484 on one format, then the next) is its own row with the same attempt number.
PDD: INVITE sent to first ringing or answer; setup: INVITE to answer.</p>`,
  });
}

function attemptRow(a: AttemptRecord): string {
  const amd = a.amd === undefined ? '–' : `${a.amd.result} (${a.amd.reason}, ${a.amd.decisionMs} ms)`;
  const ended = [a.hangupBy, a.endReason].filter((x) => x !== undefined).join(': ') || a.state;
  return `<tr data-testid="attempt">
<td class="num">${a.attempt}${a.dialFormat === undefined ? '' : `<div class="muted">${escapeHtml(a.dialFormat)}</div>`}</td>
<td>${localTime(a.startedAt)}</td>
<td><code data-testid="attempt-uri">${escapeHtml(a.uri)}</code></td>
<td class="num" data-testid="attempt-sip">${a.sipCode ?? '–'}</td>
<td>${escapeHtml(a.reason ?? '')}${a.phase === undefined ? '' : ` <span class="muted">(${escapeHtml(a.phase)})</span>`}</td>
<td class="num" data-testid="attempt-pdd">${ms(a.postDialDelayMs)}</td>
<td class="num">${ms(a.setupMs)}</td>
<td class="num">${ms(a.talkMs)}</td>
<td data-testid="attempt-amd">${escapeHtml(amd)}</td>
<td>${escapeHtml(ended)}</td>
<td>${escapeHtml(a.decision ?? '')}</td>
</tr>`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : `${value} ms`;
}
