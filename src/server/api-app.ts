/**
 * The server's Hono app: the API routes (jobs, DAGs, tokens) under /api with bearer-token authentication and
 * roles, the audit log of every mutating call, request metrics, errors as JSON, and the public routes —
 * `GET /openapi.json` (written from the routes' schemas), `GET /metrics` (Prometheus), `GET /healthz`, and the web
 * console at `GET /` and `/assets/*` (console-assets.ts).
 */
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { LineageLog, RiffleMetrics } from '../observe/index.ts';
import { registerAlertRoutes } from './alert-routes.ts';
import type { AlertService } from './alert-service.ts';
import { ApiError, errorBody } from './api-error.ts';
import { newApiApp, type ApiApp } from './api-kit.ts';
import { AuditLog, outcomeOf } from './audit-log.ts';
import { defaultConsoleDir, serveConsole } from './console-assets.ts';
import type { DagService } from './dag-service.ts';
import { registerDeadLetterRoutes } from './dead-letter-routes.ts';
import { registerDagRoutes } from './dag-routes.ts';
import type { JobManager } from './job-manager.ts';
import { registerJobRoutes } from './job-routes.ts';
import { registerLineageRoutes } from './lineage-routes.ts';
import { registerQualityRoutes } from './quality-routes.ts';
import type { QualityService } from './quality-service.ts';
import type { BusService } from './bus-service.ts';
import { registerTableBusRoutes } from './table-bus-routes.ts';
import type { TableService } from './table-service.ts';
import type { TokenStore } from './token-store.ts';
import { registerTokenRoutes } from './token-routes.ts';

export interface ApiAppDeps {
  readonly jobs: JobManager;
  readonly dags: DagService;
  readonly tokens: TokenStore;
  readonly lineage: LineageLog;
  /** Brings the orchestrator tasks' lineage events up to date. */
  readonly pollTaskLineage?: () => Promise<unknown>;
  readonly audit: AuditLog;
  readonly alerts: AlertService;
  readonly quality: QualityService;
  readonly tables: TableService;
  readonly bus: BusService;
  readonly metrics: RiffleMetrics;
  readonly version: string;
  readonly logError: (e: unknown) => void;
  /** The built web console (default console/dist/ of the package; see console-assets.ts). */
  readonly consoleDir?: string;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function apiApp(deps: ApiAppDeps): ApiApp {
  const app = newApiApp();

  // Request metrics, by route pattern (a raw path would make a label per job id).
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    let route = routePath(c, -1);
    if (route === '*' || route === '/api/*') route = '(unmatched)';
    deps.metrics.observeRequest(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
  });

  // The audit log: every mutating call under /api, refused ones too.
  app.use('/api/*', async (c, next) => {
    if (!MUTATING.has(c.req.method)) return next();
    await next();
    const token = c.get('token');
    const route = routePath(c, -1);
    const target = c.get('auditTarget');
    try {
      deps.audit.append({
        at: new Date().toISOString(), tokenId: token?.id ?? null, role: token?.role ?? null, method: c.req.method, route: route === '/api/*' ? '(unmatched)' : route, path: c.req.path,
        status: c.res.status, outcome: outcomeOf(c.res.status), ...(target !== undefined ? { target } : {}),
      });
    } catch (e) {
      deps.logError(e);
    }
  });

  app.use('/api/*', bodyLimit({ maxSize: 1024 * 1024, onError: () => { throw new ApiError(413, 'BODY_TOO_LARGE', 'the request body is larger than 1 MiB'); } }));

  // Authentication: every /api route needs a known, unrevoked bearer token (its role is checked by each route).
  app.use('/api/*', async (c, next) => {
    const header = c.req.header('authorization');
    const match = header === undefined ? null : /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    const token = match === null ? undefined : deps.tokens.authenticate(match[1]!);
    if (token === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="riffle"');
      throw new ApiError(401, 'UNAUTHENTICATED', header === undefined ? 'this call needs a bearer token' : 'the bearer token is unknown or revoked', 'send Authorization: Bearer <token> (riffle server token create --role viewer makes one)');
    }
    c.set('token', token);
    await next();
  });

  registerJobRoutes(app, deps.jobs);
  registerDeadLetterRoutes(app, deps.jobs);
  registerDagRoutes(app, deps.dags);
  registerTokenRoutes(app, deps.tokens);
  registerLineageRoutes(app, deps.lineage, deps.pollTaskLineage);
  registerAlertRoutes(app, deps.alerts);
  registerQualityRoutes(app, deps.quality);
  registerTableBusRoutes(app, deps.tables, deps.bus);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'a token from riffle server token create (or $RIFFLE_ADMIN_TOKEN)' });
  const document = () => app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Riffle server', version: deps.version, description: 'Jobs, DAGs and tokens of a Riffle server. Errors are {"error": {"code", "message", "hint"?}}.' },
  });
  let doc: ReturnType<typeof document> | undefined;
  app.get('/openapi.json', (c) => c.json((doc ??= document())));
  app.get('/healthz', (c) => c.json({ ok: true, version: deps.version }));
  app.get('/metrics', async (c) => c.body(await deps.metrics.text(), 200, { 'content-type': deps.metrics.contentType }));
  serveConsole(app, deps.consoleDir ?? defaultConsoleDir());

  // A path the API has, with a method it does not take: 405 and the methods it takes (Allow).
  let routes: Array<{ pattern: RegExp; methods: string[] }> | undefined;
  const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
  // '/api/jobs/{id}' → /^\/api\/jobs\/[^/]+$/
  const patternOf = (path: string) => new RegExp(`^${path.split(/\{[^/]+?\}/).map(escape).join('[^/]+')}$`);
  const allowed = (path: string): string[] => {
    routes ??= [
      ...Object.entries((doc ??= document()).paths ?? {}).map(([p, ops]) => ({ pattern: patternOf(p), methods: Object.keys(ops ?? {}).map((m) => m.toUpperCase()) })),
      ...['/openapi.json', '/healthz', '/metrics', '/', '/assets/{file}'].map((p) => ({ pattern: patternOf(p), methods: ['GET'] })),
    ];
    return routes.find((r) => r.pattern.test(path))?.methods ?? [];
  };
  app.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods.length > 0) {
      c.header('Allow', methods.join(', '));
      return c.json(errorBody(new ApiError(405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}`, `allowed: ${methods.join(', ')}`)).body, 405);
    }
    return c.json(errorBody(new ApiError(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, 'GET /openapi.json lists the routes')).body, 404);
  });
  app.onError((e, c) => {
    if (e instanceof HTTPException) {
      const status = e.status as ContentfulStatusCode;
      return c.json(errorBody(new ApiError(status, status === 400 ? 'INVALID_REQUEST' : 'HTTP_ERROR', e.message || 'invalid request')).body, status);
    }
    const { status, body } = errorBody(e);
    if (status >= 500) deps.logError(e);
    return c.json(body, status);
  });
  return app;
}
