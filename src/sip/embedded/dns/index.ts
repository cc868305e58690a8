export { orderSrvRecords, type SrvOrderable } from './order-srv-records.js';
export {
  lookupSipService,
  orderSipService,
  resolveSipTarget,
  type ResolveSipTargetOptions,
  type SipDnsResolver,
  type SipServiceEntry,
  type SipTarget,
} from './resolve-sip-target.js';
export { SipResolveError } from './sip-resolve-error.js';
export { SipTargetCache, type SipTargetCacheOptions } from './sip-target-cache.js';
