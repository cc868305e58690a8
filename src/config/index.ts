export { ConfigError, type ConfigIssue } from './config-error.js';
export { parseDuration } from './parse-duration.js';
export { loadConfig, parseConfig, type LoadConfigOptions, type ParseConfigOptions } from './load-config.js';
export { SECRET_USES, type SecretUse } from './secret-use.js';
export {
  dialerConfigSchema,
  DIAL_FORMATS,
  DRACHTIO_TLS_MODES,
  ENGINES,
  LOG_LEVELS,
  SIP_NAT_MODES,
  SIP_TRANSPORTS,
  type SipNatMode,
  type ApiConfig,
  type CallbacksConfig,
  type CallDefaultsConfig,
  type DialerConfig,
  type DialFormatConfig,
  type DialFormatName,
  type DrachtioConfig,
  type DrachtioTlsMode,
  type EngineName,
  type HostAndPort,
  type LogLevel,
  type MetricsConfig,
  type MediaConfig,
  type PortRange,
  type RetryDelaysConfig,
  type SipConfig,
  type SipTimersConfig,
  type SipTlsConfig,
  type SipTlsServerConfig,
  type TrunkTlsConfig,
  type SipTransport,
  type TrunkConfig,
} from './config-schema.js';
export {
  CALL_DEFAULTS,
  DEFAULT_AUTH_STRIKES,
  DEFAULT_P_ASSERTED_IDENTITY,
  P_ASSERTED_IDENTITY_FORMS,
  type PAssertedIdentityForm,
  DEFAULT_SRTP_MODE,
  SRTP_MODES,
  type SrtpMode,
  type TrunkMediaConfig,
} from './config-schema.js';
export { parseCidr } from './parse-cidr.js';
export { tryParseDuration } from './parse-duration.js';
export { API_ROLES, type ApiRole, type ApiTokenConfig } from './config-schema.js';
