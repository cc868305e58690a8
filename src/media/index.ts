export { RtpPortPool, type RtpPortPoolOptions, type RtpPortLease } from './port-pool.js';
export { PortPoolError } from './port-pool-error.js';
export { PortPoolExhaustedError } from './port-pool-exhausted-error.js';
export {
  buildSdpOffer,
  parseSdpAnswer,
  bumpSdpVersion,
  reviseSdp,
  type G711Codec,
  type SdpDirection,
  type SdpOfferInput,
  type SdpOffered,
  type SdpAnswer,
} from './sdp.js';
export { SdpError } from './sdp-error.js';
