import type { ApiRole } from '../config/index.js';

/** Who made a request: the token's name and role, never the token. */
export interface ApiPrincipal {
  readonly name: string;
  readonly role: ApiRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer-auth hook once the token is known; absent on public paths and refusals. */
    principal?: ApiPrincipal;
  }
}
