import type { ApiPrincipal } from './api-principal.js';
import { renderConsoleLayout, type ConsoleSection } from './console-layout.js';
import { escapeHtml } from './escape-html.js';

export interface ConsoleErrorPageInput {
  readonly status: number;
  /** The stable code (`CAMPAIGN_STATE_INVALID`…), shown as the API would send it. */
  readonly code: string;
  readonly message: string;
  readonly back: { readonly href: string; readonly label: string };
  readonly section: ConsoleSection;
  readonly principal?: ApiPrincipal;
}

/** A refused console action as a page a person can read and leave, instead of the API's JSON. */
export function renderConsoleErrorPage(input: ConsoleErrorPageInput): string {
  return renderConsoleLayout({
    title: `${input.status} ${input.code}`,
    section: input.section,
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>That did not happen</h1>
<p class="notice"><code data-testid="error-code">${escapeHtml(input.code)}</code>: <span data-testid="error-message">${escapeHtml(input.message)}</span></p>
<p><a href="${escapeHtml(input.back.href)}" data-testid="back">${escapeHtml(input.back.label)}</a></p>`,
  });
}
