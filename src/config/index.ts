export { ConfigError, type ConfigIssue } from './config-error.js';
export { parseDuration } from './parse-duration.js';
export { loadConfig, parseConfig, type LoadConfigOptions } from './load-config.js';
export {
  dialerConfigSchema,
  DIAL_FORMATS,
  ENGINES,
  LOG_LEVELS,
  SIP_TRANSPORTS,
  type ApiConfig,
  type CallbacksConfig,
  type CallDefaultsConfig,
  type DialerConfig,
  type DialFormatConfig,
  type DialFormatName,
  type DrachtioConfig,
  type EngineName,
  type HostAndPort,
  type LogLevel,
  type MetricsConfig,
  type MediaConfig,
  type PortRange,
  type RetryDelaysConfig,
  type SipConfig,
  type SipTimersConfig,
  type SipTransport,
  type TrunkConfig,
} from './config-schema.js';
export { DEFAULT_AUTH_STRIKES } from './config-schema.js';
export { parseCidr } from './parse-cidr.js';
export { tryParseDuration } from './parse-duration.js';
export { API_ROLES, type ApiRole, type ApiTokenConfig } from './config-schema.js';
