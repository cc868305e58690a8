export { canonicalHeaderName } from './header-names.js';
export { splitHeaderValues } from './split-header-values.js';
export { SipParseError } from './sip-parse-error.js';
export { SipSerializeError } from './sip-serialize-error.js';
export { parseContentLength } from './content-length.js';
export { parseMessage, type ParseLimits } from './parse-message.js';
export { serializeMessage } from './serialize-message.js';
export { SipStreamFramer, type SipStreamFramerOptions } from './stream-framer.js';
export { parseParams, formatParams, type SipParams } from './parse-params.js';
export { parseUri, formatUri, parsePort, type SipUri } from './parse-uri.js';
export { parseNameAddr, formatNameAddr, type NameAddr } from './parse-name-addr.js';
export { parseVia, formatVia, type Via } from './parse-via.js';
export { parseCSeq } from './parse-cseq.js';
export {
  SipHeaders,
  createRequest,
  createResponse,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from './sip-message.js';
