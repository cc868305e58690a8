import type { CollectEnd, DtmfCollector } from './dtmf-collector.js';
import type { G711Audio } from './g711.js';
import type { RtpSession } from './rtp-session.js';

export interface CallScriptPlan {
  /** The prompt (in whatever codec the call runs when each packet goes out: it may switch). */
  readonly prompt?: G711Audio;
  /** Times the prompt plays. Default 1. */
  readonly repeat?: number;
  /** Collects digits while the prompt plays (a digit stops it) and after it. */
  readonly collector?: DtmfCollector;
}

export interface CallScriptResult {
  /** Complete plays of the prompt. */
  readonly played: number;
  readonly bargedIn: boolean;
  readonly collectEnd?: CollectEnd;
}

/**
 * Plays the prompt `repeat` times, then waits for the digits. Resolves when both are done, or
 * once the session closes (plays end `closed`) and the caller closes the collector.
 */
export async function runCallScript(session: RtpSession, plan: CallScriptPlan): Promise<CallScriptResult> {
  let bargedIn = false;
  void plan.collector?.firstDigit.then(() => {
    if (session.playing) {
      bargedIn = true;
      session.stopPlayback();
    }
  });
  let played = 0;
  if (plan.prompt !== undefined) {
    for (let i = 0; i < (plan.repeat ?? 1); i++) {
      if (plan.collector?.end !== undefined) break;
      const how = await session.play(plan.prompt);
      if (how !== 'played') break;
      played++;
    }
  }
  if (plan.collector === undefined) return { played, bargedIn };
  const collectEnd = await plan.collector.wait();
  return { played, bargedIn, collectEnd };
}
