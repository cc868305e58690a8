import { UsageError } from './usage-error.js';

/** `--listen 127.0.0.1:5070` or `[::1]:5070`. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen "${value}" is not host:port`);
  }
  return { host, port };
}
