import { resolve } from 'node:path';
import { MediaScheduler } from './media-scheduler.js';
import { MediaSessionError } from './media-session-error.js';
import { PromptCache } from './prompt-cache.js';

/** Media settings of a worker process (proposed config keys: `media.prompts`, `media.deadCallTimeout`). */
export interface CallMediaSettings {
  /** Where prompt names are resolved. Default `./prompts` from the working directory. */
  readonly promptsDir: string;
  /** No RTP from the far end for this long ends the call (`rtp-timeout`); 0 turns it off. Default 30 s. */
  readonly deadCallMs: number;
  /** RTCP report interval. Default 5 s. */
  readonly rtcpIntervalMs: number;
}

/** What every call of the process shares: one pacing scheduler, one prompt cache. */
export interface CallMediaRuntime {
  readonly settings: CallMediaSettings;
  readonly scheduler: MediaScheduler;
  readonly prompts: PromptCache;
}

const DEFAULTS: CallMediaSettings = {
  promptsDir: 'prompts',
  deadCallMs: 30_000,
  rtcpIntervalMs: 5000,
};

let runtime: CallMediaRuntime | undefined;

/**
 * Sets the process's media settings (a worker calls it once at start, from its config). A new
 * prompts directory starts a fresh prompt cache; calls already up keep what they loaded.
 */
export function configureCallMedia(settings: Partial<CallMediaSettings>): CallMediaRuntime {
  const current = callMediaRuntime();
  const next: CallMediaSettings = { ...current.settings, ...settings };
  if (!Number.isFinite(next.deadCallMs) || next.deadCallMs < 0) {
    throw new MediaSessionError(
      `media.deadCallMs must be 0 (off) or a positive number of ms, got ${String(next.deadCallMs)}`,
    );
  }
  if (!Number.isFinite(next.rtcpIntervalMs) || next.rtcpIntervalMs < 500) {
    throw new MediaSessionError(
      `media.rtcpIntervalMs must be at least 500, got ${String(next.rtcpIntervalMs)}`,
    );
  }
  const prompts =
    resolve(next.promptsDir) === current.prompts.directory
      ? current.prompts
      : new PromptCache({ directory: next.promptsDir });
  runtime = { settings: next, scheduler: current.scheduler, prompts };
  return runtime;
}

/** The process-wide media runtime, created with defaults on first use. */
export function callMediaRuntime(): CallMediaRuntime {
  runtime ??= {
    settings: DEFAULTS,
    scheduler: MediaScheduler.shared(),
    prompts: new PromptCache({ directory: DEFAULTS.promptsDir }),
  };
  return runtime;
}
