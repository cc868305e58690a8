import type { ApiPrincipal } from './api-principal.js';
import { renderConsoleLayout } from './console-layout.js';
import { escapeHtml } from './escape-html.js';
import { localTime } from './local-time.js';
import type { TrunkStatus } from './read-trunk-status.js';

export interface TrunksPageInput {
  readonly trunks: readonly TrunkStatus[];
  readonly principal?: ApiPrincipal;
  readonly now: Date;
}

/** `GET /trunks`: per trunk, circuit state and why, pace against configured and learned, channels, recent SIP codes. */
export function renderTrunksPage(input: TrunksPageInput): string {
  const sections = input.trunks.map((t) => {
    const c = t.circuit;
    const why =
      c.state === 'closed'
        ? `${c.failures} carrier failure${c.failures === 1 ? '' : 's'} in a row`
        : `${escapeHtml(c.kind ?? '')}${c.reason === undefined ? '' : `: ${escapeHtml(c.reason)}`}`;
    const until =
      c.state === 'open' && c.until !== undefined ? ` · probes again at ${localTime(c.until)}` : '';
    const codes =
      t.recentCodes.length === 0
        ? '–'
        : t.recentCodes.map((x) => `<code>${escapeHtml(x.code)}</code> × ${x.count}`).join(', ');
    const share = t.channels.max > 0 ? (100 * t.channels.inUse) / t.channels.max : 0;
    return `<section data-trunk="${escapeHtml(t.name)}">
<h2>${escapeHtml(t.name)} <span class="muted">${escapeHtml(t.domain)}</span></h2>
<div class="scroll"><table><tbody>
<tr><th scope="row">circuit</th><td><span class="state ${escapeHtml(c.state)}" data-testid="circuit-state">${escapeHtml(c.state)}</span> <span data-testid="circuit-why">${why}</span>${until}${t.jobsHeld > 0 ? ` · ${t.jobsHeld} jobs held` : ''}</td></tr>
<tr><th scope="row">pace</th><td><span data-testid="pace-now">${fmt(t.pace.currentCps)}</span> calls/s now · configured ${fmt(t.pace.configuredCps)}${t.pace.learnedCps === undefined ? '' : ` · carrier limit learned <span data-testid="pace-learned">${fmt(t.pace.learnedCps)}</span>`}${t.pace.reason === undefined ? '' : ` <span class="muted">(${escapeHtml(t.pace.reason)})</span>`}</td></tr>
<tr><th scope="row">channels</th><td><span data-testid="channels">${t.channels.inUse} of ${t.channels.max}</span> in use<div class="progress small"><span style="width:${share.toFixed(1)}%"></span></div></td></tr>
<tr><th scope="row">registration</th><td>${t.register ? 'each worker registers on its own; its state is in the workers’ logs and <code>/metrics</code>, not shared in Redis' : 'not registering (<code>register: false</code>)'}</td></tr>
<tr><th scope="row">workers</th><td>${t.publishedAt === undefined ? 'no worker has served it yet' : `a worker last started serving it at ${localTime(t.publishedAt)}`}</td></tr>
<tr><th scope="row">recent SIP codes</th><td data-testid="recent-codes">${codes}</td></tr>
</tbody></table></div>
</section>`;
  });
  return renderConsoleLayout({
    title: 'Trunks',
    section: 'trunks',
    ...(input.principal !== undefined && { principal: input.principal }),
    body: `<h1>Trunks</h1>
<div class="sub">Fleet-wide state in Redis · read ${localTime(input.now.getTime())} · SIP codes of the attempts among the newest 2000 outcomes</div>
${sections.join('\n')}`,
  });
}

function fmt(cps: number): string {
  return cps >= 10 ? cps.toFixed(0) : cps.toFixed(2);
}
