/** Things to undo, undone last-first, each once, whatever fails. */
export class CleanupStack {
  readonly #steps: Array<{ name: string; run: () => Promise<void> }> = [];
  #running: Promise<string[]> | undefined;

  push(name: string, run: () => Promise<void>): void {
    this.#steps.push({ name, run });
  }

  /** Runs every step; resolves with the names of those that failed. Idempotent. */
  run(): Promise<string[]> {
    this.#running ??= (async () => {
      const failed: string[] = [];
      for (const step of this.#steps.splice(0).reverse()) {
        try {
          await step.run();
        } catch {
          failed.push(step.name);
        }
      }
      return failed;
    })();
    return this.#running;
  }
}
