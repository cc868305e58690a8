const ORIGIN = /^o=\S+ (\S+) (\d{1,20}) /m;

/**
 * The SDP that describes the session now, of what the early dialog left (`early`: a
 * provisional's answer, or an UPDATE offer we accepted) and what the 2xx carries (`final`). A
 * 2xx without a body keeps the early one (RFC 3262 flows answer in the reliable 183); a 2xx
 * repeating an older version of the same session (o= id equal, version lower, RFC 3264 §8) does
 * not undo an UPDATE that moved the media before it.
 */
export function latestSdp(early: string | undefined, final: string): string {
  if (early === undefined || early === '') return final;
  if (final.trim() === '') return early;
  const a = ORIGIN.exec(early);
  const b = ORIGIN.exec(final);
  if (a && b && a[1] === b[1] && BigInt(a[2]!) > BigInt(b[2]!)) return early;
  return final;
}
