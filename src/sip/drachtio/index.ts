export { DrachtioSipEngine, type DrachtioEngineOptions } from './drachtio-engine.js';
export { DrachtioConnection, type DrachtioConnectionOptions } from './drachtio-connection.js';
export { parseHostports, type DrachtioSipAddress } from './parse-hostports.js';
export { inspectDigestChallenge, type DigestChallengeInspection } from './inspect-digest-challenge.js';
