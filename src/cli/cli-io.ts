import type { DestinationStream } from 'pino';

/** What the CLI reads and writes, so tests run it in-process and read its output. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Where JSON log lines go. Default: stderr, keeping stdout for reports. */
  readonly logDestination?: DestinationStream;
}
