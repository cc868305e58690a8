/**
 * What a carrier said about the caller ID it passed on (STIR/SHAKEN): the `attest` claim of an
 * `Identity` PASSporT (RFC 8224/8588) and the `verstat` parameter of P-Asserted-Identity or From
 * (ATIS-1000074). Read off a response from the network and never verified (we hold no carrier
 * certificates): it is recorded on the attempt, not acted on.
 */
export interface CallerAttestation {
  /** `A` full, `B` partial, `C` gateway attestation, as the PASSporT claims it. */
  readonly attest?: 'A' | 'B' | 'C';
  /** `TN-Validation-Passed`, `TN-Validation-Failed`, `No-TN-Validation`, … as the carrier wrote it. */
  readonly verstat?: string;
  /** The status of the response that carried it (18x or 2xx). */
  readonly status: number;
}

/** RFC 3261 token characters only, so an untrusted value can go into logs, CSV and JSON as is. */
const VERSTAT = /;\s*verstat\s*=\s*([A-Za-z0-9\-.!%*_+`'~]{1,64})/i;
/** A PASSporT is three base64url parts; the payload is at most a few hundred bytes in practice. */
const PASSPORT = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{0,8192})\.[A-Za-z0-9_-]{0,2048}$/;

/**
 * The attestation in a response's headers, or undefined when it carries none. `values(name)`
 * gives every value of a header (an engine that joins repeated headers with `,` passes one).
 */
export function callerAttestationOf(
  status: number,
  values: (name: string) => readonly string[],
): CallerAttestation | undefined {
  const attest = attestOf(values('Identity'));
  const verstat = verstatOf([...values('P-Asserted-Identity'), ...values('From')]);
  if (attest === undefined && verstat === undefined) return undefined;
  return { ...(attest !== undefined && { attest }), ...(verstat !== undefined && { verstat }), status };
}

function verstatOf(values: readonly string[]): string | undefined {
  for (const value of values) {
    const match = VERSTAT.exec(value);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

function attestOf(values: readonly string[]): 'A' | 'B' | 'C' | undefined {
  for (const joined of values) {
    for (const value of joined.split(',')) {
      const token = value.split(';')[0]?.trim() ?? '';
      const parts = PASSPORT.exec(token);
      if (!parts) continue;
      const claim = jsonOf(parts[2] ?? '')?.['attest'];
      if (claim === 'A' || claim === 'B' || claim === 'C') return claim;
    }
  }
  return undefined;
}

function jsonOf(base64url: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(base64url, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    // Not JSON: a carrier's malformed or compact PASSporT carries no claim we can read.
    return undefined;
  }
}
