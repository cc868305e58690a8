/**
 * A block of lines redrawn in place on a terminal (cursor back up, each line cleared and cut to
 * the width so none wraps); printed as one plain line per refresh when not on a terminal, so a
 * log file gets a trail without blank lines or escape codes.
 */
export class StatusBlock {
  #height = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly columns?: number,
  ) {}

  /** `lines` on a terminal; `plain` (default: the lines joined) otherwise. */
  draw(lines: readonly string[], plain = lines.join('  ')): void {
    if (!this.tty) {
      this.write(`${plain}\n`);
      return;
    }
    const width = this.columns !== undefined && this.columns > 1 ? this.columns - 1 : Infinity;
    // Up to the block's first line (ESC [ n F), then each line cleared (ESC [ 2K) and rewritten.
    let out = this.#height > 0 ? `\x1b[${this.#height}F` : '';
    for (const line of lines)
      out += `\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`;
    // A shorter block than the last one: clear what is left of the old one below it.
    for (let i = lines.length; i < this.#height; i++) out += '\x1b[2K\n';
    if (this.#height > lines.length) out += `\x1b[${this.#height - lines.length}F`;
    this.#height = lines.length;
    this.write(out);
  }
}
