import { NAME_PATTERN } from '../kernel/index.js';
import { isCampaignState, type CampaignState } from './campaign-state.js';

/** Published on `DialerKeys.control` when a campaign changes state; workers apply it at once. */
export interface CampaignControlMessage {
  readonly type: 'campaign';
  readonly name: string;
  readonly state: CampaignState;
}

/** The message for a pub/sub payload on the control channel, or `undefined` when it is something else. */
export function parseCampaignControlMessage(payload: string): CampaignControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, name, state } = value as Record<string, unknown>;
  if (
    type !== 'campaign' ||
    typeof name !== 'string' ||
    !NAME_PATTERN.test(name) ||
    !isCampaignState(state)
  ) {
    return undefined;
  }
  return { type, name, state };
}
