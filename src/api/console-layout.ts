import type { ApiPrincipal } from './api-principal.js';
import { CONSOLE_SCRIPT_PATH } from './console-script.js';
import { escapeHtml } from './escape-html.js';

export type ConsoleSection = 'campaigns' | 'calls' | 'trunks';

export interface ConsoleLayoutInput {
  readonly title: string;
  readonly section: ConsoleSection;
  readonly principal?: ApiPrincipal;
  /** Already-escaped HTML of the page's own content. */
  readonly body: string;
  /** What the search box shows (the number or job id searched for). */
  readonly query?: string;
}

// One stylesheet for every page: the pages are small, and one inline block avoids a second request.
const STYLE = `
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2330; background: #f7f8fa; }
  header.nav { background: #1d2330; color: #fff; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 18px; padding: 8px 16px; }
  header.nav a { color: #dfe6f3; text-decoration: none; }
  header.nav a.here { color: #fff; font-weight: 600; border-bottom: 2px solid #7ea1ff; }
  header.nav .brand { font-weight: 700; color: #fff; }
  header.nav form { display: flex; gap: 6px; flex: 1 1 220px; max-width: 360px; }
  header.nav input { flex: 1; min-width: 0; padding: 4px 8px; border-radius: 4px; border: 0; font: inherit; }
  header.nav button { font: inherit; padding: 4px 10px; border-radius: 4px; border: 0; background: #3f6ad8; color: #fff; }
  header.nav .who { margin-left: auto; color: #aab4c6; font-size: 13px; }
  main { max-width: 1100px; margin: 0 auto; padding: 16px; background: #fff; min-height: calc(100vh - 44px); }
  h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
  h2 { font-size: 17px; margin: 26px 0 8px; }
  .sub, .muted { color: #5f6b7a; font-size: 13px; }
  .sub { margin-bottom: 16px; font-size: 14px; }
  .state { display: inline-block; padding: 1px 10px; border-radius: 10px; font-size: 13px; color: #fff; background: #5f6b7a; vertical-align: middle; }
  .state.running, .state.closed, .state.registered { background: #2e7d32; }
  .state.paused, .state.half-open { background: #ef6c00; }
  .state.cancelled { background: #757575; }
  .state.completed { background: #1565c0; }
  .state.open, .state.failed { background: #c62828; }
  .progress { background: #e6e9ef; border-radius: 6px; height: 18px; overflow: hidden; }
  .progress > span { display: block; height: 100%; background: #3f6ad8; }
  .progress.small { height: 8px; min-width: 80px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin: 18px 0; }
  .card { border: 1px solid #dde2ea; border-radius: 8px; padding: 10px 12px; }
  .card .label { color: #5f6b7a; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 22px; font-weight: 600; white-space: nowrap; }
  .card .note { color: #5f6b7a; font-size: 12px; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: 4px 8px; text-align: left; border-bottom: 1px solid #eef0f4; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.bar { min-width: 80px; }
  td.bar span { display: block; height: 12px; border-radius: 3px; min-width: 1px; }
  tr.zero { color: #9aa3af; }
  .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 8px; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
  .actions form { margin: 0; }
  .actions button, .actions a.button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #3f6ad8; background: #3f6ad8; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
  .actions .danger { background: #c62828; border-color: #c62828; }
  .actions .plain { background: #fff; color: #3f6ad8; }
  form.create { display: grid; gap: 10px; max-width: 560px; }
  form.create label { display: grid; gap: 2px; font-size: 14px; }
  form.create label.day { display: inline-flex; gap: 4px; margin-right: 8px; }
  form.create input, form.create select { font: inherit; padding: 4px 6px; }
  form.create fieldset { border: 1px solid #d7dce3; border-radius: 6px; }
  form.create button { justify-self: start; font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #3f6ad8; background: #3f6ad8; color: #fff; cursor: pointer; }
  .notice { padding: 8px 12px; border-radius: 6px; background: #fff4e5; border: 1px solid #ffcc80; margin: 12px 0; }
  svg { max-width: 100%; height: auto; }
  svg text { font-size: 11px; fill: #5f6b7a; }
  code { overflow-wrap: anywhere; }
  @media (max-width: 600px) {
    main { padding: 12px; }
    .card .value { font-size: 18px; }
    .hide-narrow { display: none; }
  }
`;

const SECTIONS: ReadonlyArray<{
  readonly id: ConsoleSection;
  readonly label: string;
  readonly href: string;
}> = [
  { id: 'campaigns', label: 'Campaigns', href: '/campaigns' },
  { id: 'trunks', label: 'Trunks', href: '/trunks' },
];

/** The console's one page frame: head, styles, the navigation bar with the number search, the script. */
export function renderConsoleLayout(input: ConsoleLayoutInput): string {
  const links = SECTIONS.map(
    (s) =>
      `<a href="${s.href}"${s.id === input.section ? ' class="here" aria-current="page"' : ''}>${s.label}</a>`,
  ).join('\n  ');
  const who =
    input.principal === undefined
      ? ''
      : `<span class="who" data-testid="who">${escapeHtml(input.principal.name)} (${input.principal.role})</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)} · sip-dialer</title>
<style>${STYLE}</style>
<script src="${CONSOLE_SCRIPT_PATH}" defer></script>
</head>
<body>
<header class="nav">
  <a class="brand" href="/">sip-dialer</a>
  ${links}
  <form method="get" action="/calls" role="search">
    <input name="q" type="search" placeholder="number or job id" aria-label="number or job id" data-testid="search-input" value="${escapeHtml(input.query ?? '')}">
    <button type="submit" data-testid="search-button"${input.section === 'calls' ? ' class="here"' : ''}>Find</button>
  </form>
  ${who}
</header>
<main>
${input.body}
</main>
</body>
</html>
`;
}
