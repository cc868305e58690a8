import { EngineFeatureUnsupportedError } from '../engine-feature-unsupported-error.js';

/**
 * drachtio-server terminates TLS itself (a tls entry in its `<sip><contacts>`, certificates in its
 * own config); through drachtio-srf this process can neither name the CA a carrier must chain to
 * nor see why a handshake failed. Without the operator saying drachtio-server owns those checks
 * (`drachtio.tls: server`), refusing beats dialing with checks nobody vouched for.
 */
export function drachtioTlsUnsupported(where: string): EngineFeatureUnsupportedError {
  return new EngineFeatureUnsupportedError(
    `${where}: transport tls is not supported by the drachtio engine unless drachtio-server owns TLS ` +
      '(configure a tls contact and certificates in drachtio-server and set drachtio.tls: server, ' +
      'or use engine: embedded)',
  );
}
