/**
 * Masks the proof in Authorization / Proxy-Authorization lines of a SIP trace. The password is
 * never on the wire, but a digest response with its nonce can be replayed while the nonce lives.
 */
export function maskCredentials(message: string): string {
  return message.replace(/^((?:Proxy-)?Authorization\s*:.*)$/gim, (line) =>
    line.replace(/(\b(?:response|cnonce)\s*=\s*)("[^"]*"|[^,\s]+)/gi, '$1"***"'),
  );
}
