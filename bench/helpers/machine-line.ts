import os from 'node:os';

/** The machine a figure was measured on, and its load then: figures mean little without it. */
export function machineLine(): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${cpus[0]?.model ?? '?'} × ${cpus.length}, node ${process.version}, ${os.platform()} ${os.release()}, load ${load}`;
}
