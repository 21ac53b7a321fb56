/**
 * `/api/tokens` (admin): list, create and revoke tokens; `/api/whoami` (any role): the caller's token record.
 * A created token is shown once, in the answer; the server keeps only its hash.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from './api-error.ts';
import { body, errorResponses, json, needs, SECURITY, unrestricted, type ApiApp } from './api-kit.ts';
import { CreateTokenSchema, TokenIdParams, TokenSchema } from './api-schemas.ts';
import { createToken, revokeToken, type TokenStore } from './token-store.ts';

export function registerTokenRoutes(app: ApiApp, tokens: TokenStore): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/api/whoami', tags: ['tokens'], summary: "the caller's token (id and role)", security: SECURITY, middleware: [needs('viewer')] as const,
      responses: { 200: json(TokenSchema, 'the token record'), ...errorResponses() },
    }),
    (c) => c.json(c.get('token')!, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/tokens', tags: ['tokens'], summary: 'every token (revoked ones too), without secrets', security: SECURITY, middleware: [needs('admin'), unrestricted()] as const,
      responses: { 200: json(z.object({ tokens: z.array(TokenSchema) }), 'the tokens'), ...errorResponses() },
    }),
    (c) => c.json({ tokens: tokens.list() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/tokens', tags: ['tokens'], summary: 'create a token (shown once, in this answer)', security: SECURITY, middleware: [needs('admin'), unrestricted()] as const,
      request: body(CreateTokenSchema),
      responses: { 201: json(z.object({ token: z.string(), record: TokenSchema }).openapi('CreatedToken'), 'the token and its record'), ...errorResponses(400) },
    }),
    (c) => {
      const { role, name, namespaces } = c.req.valid('json');
      const created = createToken(tokens.file, role, name ?? null, namespaces ?? null);
      c.set('auditTarget', created.record.id);
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/tokens/{id}/revoke', tags: ['tokens'], summary: 'revoke a token', security: SECURITY, middleware: [needs('admin'), unrestricted()] as const,
      request: { params: TokenIdParams },
      responses: { 200: json(TokenSchema, 'the revoked token'), ...errorResponses(400, 404) },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      c.set('auditTarget', id);
      if (!revokeToken(tokens.file, id)) throw new ApiError(404, 'TOKEN_NOT_FOUND', `no active token '${id}'`, 'GET /api/tokens lists them');
      return c.json(tokens.list().find((t) => t.id === id)!, 200);
    },
  );
}
