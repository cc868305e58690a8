export { createLogger, silentLogger, type Logger, type CreateLoggerOptions } from './create-logger.js';
export { redactPaths } from './redact-paths.js';
export { censorSecrets, censorText, SECRET_KEY } from './censor-secrets.js';
