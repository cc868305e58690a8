import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

/** A child process the demo started and must stop. */
export class ManagedChild {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #output = '';

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#keep(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#keep(chunk));
  }

  /** Spawns and waits until the process exists (rejects when the binary cannot be started). */
  static async start(
    name: string,
    command: string,
    args: string[],
    options: SpawnOptions,
  ): Promise<ManagedChild> {
    const child = spawn(command, args, options);
    const managed = new ManagedChild(name, child);
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([error]) => {
        throw error;
      }),
    ]);
    return managed;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last few KB the process printed (for error messages). */
  get output(): string {
    return this.#output;
  }

  #keep(chunk: string): void {
    this.#output = (this.#output + chunk).slice(-8192);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
