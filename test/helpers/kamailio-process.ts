import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { waitFor } from './wait-for.js';

/** Where Debian's kamailio packages put their modules. */
export const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';

const STOP_GRACE_MS = 3_000;

const live = new Set<KamailioProcess>();
try {
  afterAll(async () => {
    await Promise.all([...live].map((kamailio) => kamailio.stop()));
  });
} catch {
  // Imported outside a test file's collection: the test stops its own.
}
// A test process that dies (or is killed by vitest's timeout) must not leave Kamailio behind.
process.once('exit', () => {
  for (const kamailio of live) kamailio.killNow();
});

/**
 * One Kamailio a test runs from a config in `dir` (which `stop()` removes): foreground, logging
 * to stderr, stopped with SIGTERM then SIGKILL, and stopped after the file's tests whatever they did.
 */
export class KamailioProcess {
  #output = '';
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  /** `memoryMb`: shared memory (`-m`); TLS under a few hundred calls ran short at 32 MB. */
  constructor(
    readonly dir: string,
    readonly cfg: string,
    readonly memoryMb: number,
  ) {
    live.add(this);
  }

  /** Its log so far (stdout and stderr). */
  log(): string {
    return this.#output;
  }

  /** Starts it and waits until `ready()` says it serves (`what` names that in a timeout). */
  async start(ready: () => Promise<boolean>, what: string): Promise<void> {
    // -DD: stay in the foreground, no daemon; -E: log to stderr; -M 8 MB private memory per worker.
    const proc = spawn('kamailio', ['-DD', '-E', '-m', String(this.memoryMb), '-M', '8', '-f', this.cfg], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = proc;
    const append = (chunk: Buffer): void => {
      this.#output += chunk.toString('utf8');
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    this.#exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let gone = false;
    void this.#exited.then(() => (gone = true));
    await waitFor(
      async () => {
        if (gone) throw new Error(`kamailio exited at start:\n${this.#output.slice(-3000)}`);
        return ready();
      },
      { what, timeoutMs: 15_000 },
    );
  }

  /** Stops the running process (SIGTERM, then SIGKILL); `start()` may run it again. */
  async halt(): Promise<void> {
    const proc = this.#child;
    this.#child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Halts it for good and removes its folder. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      live.delete(this);
      await this.halt();
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#stopped;
  }

  /** At process exit, where nothing can be awaited. */
  killNow(): void {
    this.#child?.kill('SIGKILL');
  }
}
