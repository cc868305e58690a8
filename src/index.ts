// The package's public surface. Producers (issue: dial jobs) will add the typed client here.
export { loadConfig, parseConfig, ConfigError, type DialerConfig, type TrunkConfig } from './config/index.js';
export { createLogger, type Logger } from './log/index.js';
export { DialerError } from './errors/index.js';
export * from './sip/index.js';
export * from './media/index.js';
export * from './numbers/index.js';
