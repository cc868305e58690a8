import { MediaScheduler } from './media-scheduler.js';
import { MediaSessionError } from './media-session-error.js';
import { PromptCache } from './prompt-cache.js';

/**
 * Media settings of a worker (config keys `media.prompts`, `media.recordings`,
 * `media.deadCallTimeout`, `media.rtcpInterval`).
 */
export interface CallMediaSettings {
  /** Where prompt names are resolved. */
  readonly promptsDir: string;
  /** Where call recordings are written. */
  readonly recordingsDir: string;
  /** No RTP from the far end for this long ends the call (`rtp-timeout`); 0 turns it off. */
  readonly deadCallMs: number;
  /** RTCP report interval. */
  readonly rtcpIntervalMs: number;
}

/** What every call of a worker shares: its media settings, one pacing scheduler, one prompt cache. */
export interface CallMediaRuntime {
  readonly settings: CallMediaSettings;
  readonly scheduler: MediaScheduler;
  readonly prompts: PromptCache;
}

/**
 * The media runtime a worker hands down to each of its calls, built once at start from its config
 * (the defaults are the config's). The scheduler stays the process's one: every stream paced from
 * one timer spreads the sends of all workers in the process across the period.
 */
export function createCallMediaRuntime(settings: CallMediaSettings): CallMediaRuntime {
  if (!Number.isFinite(settings.deadCallMs) || settings.deadCallMs < 0) {
    throw new MediaSessionError(
      `media.deadCallMs must be 0 (off) or a positive number of ms, got ${String(settings.deadCallMs)}`,
    );
  }
  if (!Number.isFinite(settings.rtcpIntervalMs) || settings.rtcpIntervalMs < 500) {
    throw new MediaSessionError(
      `media.rtcpIntervalMs must be at least 500, got ${String(settings.rtcpIntervalMs)}`,
    );
  }
  return {
    settings: { ...settings },
    scheduler: MediaScheduler.shared(),
    prompts: new PromptCache({ directory: settings.promptsDir }),
  };
}
