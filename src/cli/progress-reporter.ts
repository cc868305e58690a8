/**
 * One status line on stderr, rewritten in place on a terminal and printed at most once a second
 * otherwise (so a log file gets a readable trail, not thousands of lines). On a terminal of
 * `columns` the line is cut to fit: a line that wraps cannot be rewritten by `\r`, and every
 * redraw would leave a stacked half-line behind.
 */
export class ProgressReporter {
  #last = 0;
  #lastLength = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly everyMs = 1000,
    private readonly columns?: number,
  ) {}

  update(line: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.#last < (this.tty ? 100 : this.everyMs)) return;
    this.#last = now;
    if (this.tty) {
      const fitted = fitTo(line, this.columns);
      const pad = ' '.repeat(Math.max(0, this.#lastLength - fitted.length));
      this.write(`\r${fitted}${pad}`);
      this.#lastLength = fitted.length;
    } else {
      this.write(`${line}\n`);
    }
  }

  done(line: string): void {
    this.update(line, true);
    if (this.tty) this.write('\n');
  }
}

/** `[#####-----] 50%` */
export function progressBar(fraction: number, width = 24): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${Math.floor(f * 100)}%`;
}

/** `line` cut to one character less than the terminal's width (the last column wraps on some terminals). */
function fitTo(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2 || line.length < columns) return line;
  return `${line.slice(0, columns - 2)}…`;
}
