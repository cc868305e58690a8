import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import type { SipTrunk } from '../sip-trunk.js';
import { TlsConfigError } from './tls-config-error.js';
import type { TlsPeer } from './transport/tls-peer.js';

/**
 * A trunk's TLS settings as a ready secure context: its CA bundle (or the system's), its client
 * certificate and key. Errors name the trunk, the field and the path, never the file's content.
 */
export async function tlsPeerOfTrunk(trunk: SipTrunk): Promise<TlsPeer> {
  const settings = trunk.tls ?? {};
  const read = async (field: 'ca' | 'cert' | 'key'): Promise<Buffer | undefined> => {
    const path = settings[field];
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new TlsConfigError(trunk.name, field, `cannot read ${JSON.stringify(path)}: ${reason}`, error);
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
  if ((cert === undefined) !== (key === undefined)) {
    throw new TlsConfigError(trunk.name, cert === undefined ? 'cert' : 'key', 'cert and key go together');
  }
  // OpenSSL skips what is not PEM in a bundle without a word: a bundle of nothing would refuse
  // every carrier with an unhelpful "unable to verify".
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TlsConfigError(trunk.name, 'ca', 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    });
  } catch (error) {
    throw new TlsConfigError(trunk.name, culprit(ca), `is not usable PEM (${messageOf(error)})`, error);
  }
  return {
    trunk: trunk.name,
    identity: settings.servername ?? trunk.domain,
    context,
    rejectUnauthorized: settings.rejectUnauthorized ?? true,
  };
}

/** Which file broke the context: the CA bundle alone, else the certificate and key. */
function culprit(ca: Buffer | undefined): 'ca' | 'cert' {
  if (ca === undefined) return 'cert';
  try {
    tls.createSecureContext({ ca });
    return 'cert';
  } catch {
    return 'ca';
  }
}

// OpenSSL's message names what it could not decode, never the PEM itself.
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
