import type { ApiPrincipal } from './api-principal.js';
import type { CampaignSummary } from './campaign-summary.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import { roleAllows } from './required-role.js';

export interface CancelConfirmPageInput {
  readonly summary: CampaignSummary;
  readonly principal?: ApiPrincipal;
  readonly csrfToken?: string;
}

/**
 * `GET /campaigns/:name/cancel`: cancelling cannot be undone, so the button on the campaign page
 * leads here first; only this page's form posts the cancel. Works without script.
 */
export function renderCancelConfirmPage(input: CancelConfirmPageInput): string {
  const s = input.summary;
  const path = `/campaigns/${encodeURIComponent(s.name)}`;
  const allowed =
    input.principal !== undefined &&
    input.csrfToken !== undefined &&
    roleAllows(input.principal.role, 'operator');
  const form = !allowed
    ? '<p class="notice">Cancelling needs the operator role and a browser session.</p>'
    : s.state === 'cancelled'
      ? '<p class="notice">This campaign is cancelled already.</p>'
      : `<div class="actions">
<form method="post" action="${path}/cancel"><input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken ?? '')}"><button type="submit" class="danger" data-testid="confirm-cancel">Yes, cancel ${escapeHtml(s.name)}</button></form>
<a class="button plain" href="${path}" data-testid="keep">No, keep it ${escapeHtml(s.state)}</a>
</div>`;
  return renderConsoleLayout({
    title: `Cancel ${s.name}?`,
    section: 'campaigns',
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>Cancel campaign ${escapeHtml(s.name)}?</h1>
<p>Its ${s.pending} pending numbers end as <code>cancelled</code> and are not called; calls in progress finish.
A cancelled campaign cannot be resumed.</p>
${form}`,
  });
}
