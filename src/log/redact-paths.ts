/**
 * Paths pino masks on every line. Config objects and SIP traces carry secrets under these
 * names; listing them once here keeps every logger in the process equally careful.
 */
export const redactPaths: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'trunk.password',
  'trunks[*].password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiToken',
  '*.apiToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers["proxy-authorization"]',
  'headers["Proxy-Authorization"]',
];
