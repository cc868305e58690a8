// The package's public surface: other services enqueue calls with DialerClient and a Redis URL.
export * from './jobs/index.js';
export { loadConfig, parseConfig, ConfigError, type DialerConfig, type TrunkConfig } from './config/index.js';
export { createLogger, type Logger } from './log/index.js';
export { DialerError } from './errors/index.js';
export * from './sip/index.js';
export * from './media/index.js';
export * from './numbers/index.js';
export * from './compliance/index.js';
export { DialerWorker, type DialerWorkerOptions } from './workers/index.js';
