import type { FastifyInstance } from 'fastify';
import { pathOf } from './bearer-auth.js';
import { httpErrorResponse } from './http-error-response.js';
import { ForbiddenError } from './forbidden-error.js';
import { requiredRole, roleAllows } from './required-role.js';

/**
 * Refuses (403 `FORBIDDEN`) a request whose token's role is below what it needs. Runs after
 * bearer auth; requests without a principal are the public health checks.
 */
export function registerRoleCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const principal = request.principal;
    if (principal === undefined) return;
    const path = pathOf(request.url);
    // The matched route pattern too, so an odd spelling of a path cannot slip under a weaker rule.
    const pattern = request.routeOptions.url;
    const byPath = requiredRole(request.method, path);
    const byPattern = pattern === undefined ? byPath : requiredRole(request.method, pattern);
    const needed = roleAllows(byPath, byPattern) ? byPath : byPattern;
    if (!roleAllows(principal.role, needed)) {
      // Answered here, not thrown: Bull Board's plugin has its own error handler, which would make it a 500.
      const { status, body } = httpErrorResponse(
        new ForbiddenError(principal.role, needed, request.method, path),
      );
      return reply.code(status).send(body);
    }
  });
}
