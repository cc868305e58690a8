import { z } from 'zod';

/** Why a circuit is open: the carrier refused our credentials, or the carrier is in trouble. */
export type CircuitOpenKind = 'auth' | 'carrier';

/**
 * Announcement of a circuit state change, published as JSON on `keys.control` by the Lua script
 * that made the change. `kind` and `until` (ms, on the circuit's clock) come with `open`; `kind`
 * with `half-open`.
 */
export interface CircuitControlMessage {
  readonly type: 'circuit';
  readonly trunk: string;
  readonly state: 'closed' | 'open' | 'half-open';
  readonly reason: string;
  readonly kind?: CircuitOpenKind;
  readonly until?: number;
}

const schema = z.object({
  type: z.literal('circuit'),
  trunk: z.string().min(1),
  state: z.enum(['closed', 'open', 'half-open']),
  // cjson encodes an empty Lua table as {}; an empty reason arrives as a string anyway.
  reason: z.string(),
  kind: z.enum(['auth', 'carrier']).optional(),
  until: z.number().optional(),
});

/**
 * The circuit message in a control-channel payload, or undefined for anything else: the channel
 * also carries campaign and other trunk messages, and one bad payload must not stop a worker.
 */
export function parseCircuitControlMessage(payload: string): CircuitControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return undefined;
  const { kind, until, ...rest } = parsed.data;
  return { ...rest, ...(kind === undefined ? {} : { kind }), ...(until === undefined ? {} : { until }) };
}
