import { EngineFeatureUnsupportedError } from '../engine-feature-unsupported-error.js';

/**
 * drachtio-server terminates TLS itself (a tls entry in its `<sip><contacts>`, certificates in its
 * own config); through drachtio-srf this process can neither name the CA a carrier must chain to
 * nor see why a handshake failed. Refusing beats dialing with checks we cannot vouch for.
 */
export function drachtioTlsUnsupported(where: string): EngineFeatureUnsupportedError {
  return new EngineFeatureUnsupportedError(
    `${where}: transport tls is not supported by the drachtio engine (drachtio-server owns TLS: ` +
      'configure a tls contact and certificates in drachtio-server, or use engine: embedded)',
  );
}
