import type { ApiPrincipal } from './api-principal.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import type { CallSearch } from './find-calls.js';

export interface CallSearchPageInput {
  readonly query: string;
  /** Absent before anything was searched. */
  readonly result?: Exclude<CallSearch, { kind: 'job' }>;
  readonly principal?: ApiPrincipal;
}

/** `GET /calls?q=`: the calls found for a number, each linking to its story. */
export function renderCallSearchPage(input: CallSearchPageInput): string {
  const r = input.result;
  let body: string;
  if (r === undefined) {
    body = '<p class="muted">Type a number (as people write it) or a job id in the search box above.</p>';
  } else if (r.kind === 'invalid') {
    body = `<p class="notice" data-testid="search-invalid">Not a job id nor a number: ${escapeHtml(r.reason)}</p>`;
  } else if (r.hits.length === 0) {
    body = `<p class="notice" data-testid="search-none">No call to <code>${escapeHtml(r.e164)}</code> in any campaign, nor among the newest ${r.scanned} outcomes of single calls.</p>`;
  } else {
    const rows = r.hits
      .map(
        (
          h,
        ) => `<tr><td><a href="/calls/${encodeURIComponent(h.jobId)}" data-testid="search-hit"><code>${escapeHtml(h.jobId)}</code></a></td>
<td>${h.campaign === undefined ? '–' : `<a href="/campaigns/${encodeURIComponent(h.campaign)}">${escapeHtml(h.campaign)}</a>`}</td>
<td><span class="state ${escapeHtml(h.status)}">${escapeHtml(h.status)}</span></td></tr>`,
      )
      .join('\n');
    body = `<p class="sub">Calls to <code>${escapeHtml(r.e164)}</code>: ${r.hits.length}</p>
<div class="scroll"><table data-testid="search-hits"><thead><tr><th>job id</th><th>campaign</th><th>status</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
  }
  return renderConsoleLayout({
    title: 'Find a call',
    section: 'calls',
    query: input.query,
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>Find a call</h1>\n${body}`,
  });
}
