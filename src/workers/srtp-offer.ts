import type { SrtpMode } from '../config/index.js';
import type { SdesCrypto } from '../media/index.js';

/** What the call offered for SRTP: the trunk's mode and our crypto lines (none when off). */
export interface SrtpOffer {
  readonly mode: SrtpMode;
  readonly offered: readonly SdesCrypto[] | undefined;
}

/** The media protocols an answer to this offer may use. */
export function srtpOffered(srtp: SrtpOffer): { protocols: Array<'RTP/AVP' | 'RTP/SAVP'> } {
  return { protocols: srtp.mode === 'off' ? ['RTP/AVP'] : ['RTP/AVP', 'RTP/SAVP'] };
}
