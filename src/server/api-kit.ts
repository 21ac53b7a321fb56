/**
 * What the route files share: the app's type (its context carries the caller's token), the role check, the
 * documented error responses of a route, and the hook that turns a failed validation into a 400 naming the key.
 */
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error.ts';
import { ErrorSchema } from './api-schemas.ts';
import { allows, type Role } from './roles.ts';
import type { TokenRecord } from './token-store.ts';

export interface ApiEnv {
  Variables: {
    /** The caller's token (set by the authentication middleware on /api/*). */
    token: TokenRecord | undefined;
    /** What a mutating call created or changed, for the audit log. */
    auditTarget: string | undefined;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

/** A new app whose failed request validations answer 400 with the key and what was expected. */
export function newApiApp(): ApiApp {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
}

/** The first issue of a zod error as an ApiError: `params.limit: expected number` with the key and expectation. */
export function validationError(error: z.ZodError, target: string): ApiError {
  const issue = error.issues[0];
  const where = target === 'json' ? 'body' : target === 'param' ? 'path' : target;
  const path = issue?.path.map(String).join('.') ?? '';
  const unknownKeys = issue?.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys ?? [] : [];
  const key = unknownKeys.length > 0 ? [path, unknownKeys[0]].filter(Boolean).join('.') : path;
  const expected = issue === undefined ? 'a valid request' : unknownKeys.length > 0 ? 'only the documented fields (GET /openapi.json)' : issue.message;
  const message = `invalid request ${where}${key !== '' ? ` at '${key}'` : ''}: ${issue?.message ?? 'invalid'}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : ''}`;
  return new ApiError(400, 'INVALID_REQUEST', message, 'the OpenAPI document (GET /openapi.json) describes every field', { key: key === '' ? null : key, expected, in: where });
}

/** Route middleware: refuses callers whose role is below `role` (403); the caller is authenticated already. */
export function needs(role: Role): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const token = c.get('token');
    if (token === undefined) throw new ApiError(401, 'UNAUTHENTICATED', 'this call needs a bearer token', 'send Authorization: Bearer <token> (riffle server token create makes one)');
    if (!allows(token.role, role)) throw new ApiError(403, 'FORBIDDEN', `this call needs the ${role} role; token ${token.id} is a ${token.role}`, `ask an admin for a token with the ${role} role`);
    await next();
  };
}

/** Whether the caller's token may see and act on things in namespace `ns` (per-namespace grants). */
export function namespaceAllowed(token: TokenRecord | undefined, ns: string): boolean {
  return token !== undefined && (token.namespaces === null || token.namespaces.includes(ns));
}

/** Refuses (403) a caller whose token is not granted namespace `ns`. */
export function requireNamespace(token: TokenRecord | undefined, ns: string, what: string): void {
  if (!namespaceAllowed(token, ns)) {
    throw new ApiError(403, 'FORBIDDEN_NAMESPACE', `${what} is in namespace '${ns}'; token ${token?.id ?? '(none)'} is granted ${token?.namespaces?.map((n) => `'${n}'`).join(', ') ?? 'none'}`, `ask an admin for a token granted namespace '${ns}'`);
  }
}

/**
 * Route middleware for calls that span namespaces (lineage, alerts, quality, tables, the bus, tokens): a token
 * limited to some namespaces is refused (403).
 */
export function unrestricted(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const token = c.get('token');
    if (token?.namespaces !== null && token?.namespaces !== undefined) throw new ApiError(403, 'FORBIDDEN_NAMESPACE', `this call spans namespaces; token ${token.id} is limited to ${token.namespaces.map((n) => `'${n}'`).join(', ')}`, 'use a token granted every namespace');
    await next();
  };
}

const errorContent = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** The documented error responses of an API route: 401 and 403 always, and those listed. */
export function errorResponses(...statuses: Array<400 | 404 | 409>): Record<number, ReturnType<typeof errorContent>> {
  const described = { 400: 'invalid request (the error names the key and what was expected)', 404: 'not found', 409: 'refused in the current state' };
  const out: Record<number, ReturnType<typeof errorContent>> = {
    401: errorContent('no bearer token, or an unknown or revoked one'),
    403: errorContent("the token's role does not allow this call"),
  };
  for (const s of statuses) out[s] = errorContent(described[s]);
  return out;
}

export const SECURITY = [{ bearer: [] }];

export const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A JSON request body (required). */
export const body = <S>(schema: S) => ({ body: { required: true, content: { 'application/json': { schema } } } });
