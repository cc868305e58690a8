import type { TrunkConfig } from '../config/index.js';
import type { CampaignImportResult } from '../jobs/index.js';
import type { ApiPrincipal } from './api-principal.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import { roleAllows } from './required-role.js';

/**
 * Where the form is and where it posts its upload. Not under `/campaigns/`: every path there is
 * a campaign's page, and `new` is a campaign name like any other.
 */
export const CAMPAIGN_CREATE_PATH = '/new-campaign';

/** Bad rows shown under an import's result; the rest are counted. */
const SHOWN_BAD_ROWS = 20;

export interface CampaignCreatePageInput {
  readonly trunks: readonly Pick<TrunkConfig, 'name' | 'defaultCountry'>[];
  /** The upload limit (api.bodyLimit), said next to the file field. */
  readonly limitBytes: number;
  readonly principal?: ApiPrincipal;
  readonly csrfToken?: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/**
 * `GET /new-campaign`: name, trunk, caller ID, window, days, attempts and a CSV. The console
 * script sends the file as the body of `POST /new-campaign` (text/csv, settings in the query,
 * the CSRF token in a header), the very import `POST /v1/campaigns` runs, and shows its result;
 * without script the browser posts the form itself (multipart, the `csrf` field first, the file
 * last) to the same import.
 */
export function renderCampaignCreatePage(input: CampaignCreatePageInput): string {
  const allowed =
    input.principal !== undefined &&
    input.csrfToken !== undefined &&
    roleAllows(input.principal.role, 'operator');
  const trunks = input.trunks
    .map(
      (t) =>
        `<option value="${escapeHtml(t.name)}">${escapeHtml(t.name)}${t.defaultCountry !== undefined ? ` (${escapeHtml(t.defaultCountry)})` : ''}</option>`,
    )
    .join('');
  const days = DAYS.map(
    (d, i) =>
      `<label class="day"><input type="checkbox" name="days" value="${i}"${i >= 1 && i <= 5 ? ' checked' : ''}> ${d}</label>`,
  ).join(' ');
  const form = !allowed
    ? '<p class="notice" data-testid="create-not-allowed">Creating a campaign needs the operator role and a browser session.</p>'
    : `<form class="create" method="post" action="${CAMPAIGN_CREATE_PATH}" enctype="multipart/form-data" data-upload data-testid="create-form">
<!-- The first field, so the server checks it before it reads the file (without script the form is posted as it stands). -->
<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken ?? '')}">
<label>Name <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9_.-]{0,63}" maxlength="64" data-testid="create-name"></label>
<label>Trunk <select name="trunk" data-testid="create-trunk">${trunks}</select></label>
<label>Caller ID <input name="callerId" maxlength="64" placeholder="+5534999990000 (optional)"></label>
<label>Country for numbers without + <input name="country" maxlength="2" size="3" placeholder="the trunk's"></label>
<fieldset><legend>Calling window (callee's local time; optional)</legend>
<label>from <input name="windowStart" type="time"></label> <label>to <input name="windowEnd" type="time"></label>
<div>${days}</div></fieldset>
<label>Max attempts <input name="maxAttempts" type="number" min="1" max="20" placeholder="3"></label>
<label>Number column <input name="column" maxlength="64" placeholder="number, phone or msisdn"></label>
<label class="day"><input type="checkbox" name="paused" value="true"> create it paused</label>
<label>CSV file (at most ${formatBytes(input.limitBytes)}) <input name="file" type="file" accept=".csv,text/csv" required data-testid="create-file"></label>
<button type="submit" data-testid="create-submit">Upload and create</button>
</form>
<div data-testid="create-result" aria-live="polite"></div>`;
  return renderConsoleLayout({
    title: 'New campaign',
    section: 'campaigns',
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>New campaign</h1>
<div class="sub">Every row is checked before anything is queued; a file without a valid number queues nothing and creates no campaign.</div>
${form}`,
  });
}

/** What an upload did: counts, the first bad rows with their line, column and value, and the way on. */
export function renderImportResult(name: string, result: CampaignImportResult): string {
  const { report, lastImport } = result;
  const refused = lastImport.state === 'refused';
  const href = `/campaigns/${encodeURIComponent(name)}`;
  const head = refused
    ? `<p class="notice" data-testid="import-refused">Import refused, nothing queued: ${escapeHtml(lastImport.reason ?? 'refused')}${result.removed ? '. No campaign was created.' : '.'}</p>`
    : `<p data-testid="import-done">Campaign <a href="${href}" data-testid="created-link">${escapeHtml(name)}</a> ${result.created ? 'created' : 'already existed; new numbers added'}.</p>`;
  const rows = report.errors
    .slice(0, SHOWN_BAD_ROWS)
    .map(
      (e) =>
        `<tr><td class="num">${e.line}</td><td>${escapeHtml(e.field ?? report.numberColumn)}</td><td><code>${escapeHtml(e.input)}</code></td><td>${escapeHtml(e.reason)}</td></tr>`,
    )
    .join('\n');
  const more = report.errors.length + report.errorsOmitted - SHOWN_BAD_ROWS;
  const bad =
    rows === ''
      ? ''
      : `<h2>Rejected rows</h2>
<div class="scroll"><table data-testid="rejected-rows">
<thead><tr><th class="num">line</th><th>field</th><th>value</th><th>why</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>${more > 0 ? `<p class="muted">… and ${more} more.</p>` : ''}`;
  return `<div class="import-result" data-testid="import-result">
${head}
<table><tbody>
<tr><th scope="row">rows read</th><td class="num" data-testid="import-rows">${report.rows}</td></tr>
<tr><th scope="row">accepted (queued)</th><td class="num" data-testid="import-accepted">${report.enqueued}</td></tr>
<tr><th scope="row">already queued</th><td class="num">${report.alreadyQueued}</td></tr>
<tr><th scope="row">repeated in the file</th><td class="num">${report.duplicates}</td></tr>
<tr><th scope="row">rejected</th><td class="num" data-testid="import-rejected">${report.invalid}</td></tr>
</tbody></table>
${bad}
</div>`;
}

function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`;
  return `${n} bytes`;
}
