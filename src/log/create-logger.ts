import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import { censorSecrets } from './censor-secrets.js';
import { redactPaths } from './redact-paths.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Minimum level written. Default: `LOG_LEVEL` from the environment, else `info`. */
  level?: string;
  /** Component name bound on every line (`name` field). */
  name?: string;
  /** Where lines go. Default: stdout. Tests pass a stream to read lines back. */
  destination?: DestinationStream;
}

/** The one way the process builds its root logger: JSON lines, secrets redacted. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    base: { pid: process.pid },
    // ISO 8601 in UTC rather than epoch ms: log lines are read beside SIP traces and carrier
    // records, which give wall-clock times.
    timestamp: pino.stdTimeFunctions.isoTime,
    // Lines pass the formatter below first; this covers an `err` a child logger's own
    // serializers or bindings hand in.
    serializers: { err: (error: unknown) => censorSecrets(error) },
    // The fixed paths above are fast; this catches secrets nested anywhere else (errors and the
    // Redis commands they carry included), on every line and in every child's bindings.
    formatters: {
      log: (object) => censorSecrets(object),
      bindings: (bindings) => censorSecrets(bindings),
    },
  };
  if (options.name !== undefined) pinoOptions.name = options.name;
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that writes nothing, for library callers that did not pass one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
