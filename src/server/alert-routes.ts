/**
 * `/api/alerts`: the alert rules (channels shown without secrets: a webhook's origin, an e-mail's recipients), the
 * alerts firing now, and the history of notifications with their delivery outcomes.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { AlertChannel } from '../observe/index.ts';
import { errorResponses, json, needs, SECURITY, unrestricted, type ApiApp } from './api-kit.ts';
import type { AlertService } from './alert-service.ts';

const isoTime = z.string().openapi({ format: 'date-time' });
const SeveritySchema = z.enum(['info', 'warning', 'critical']);

const AlertRulesSchema = z.object({
  file: z.string().nullable().openapi({ description: 'the rules file; null when the server has none' }),
  intervalMs: z.number().nullable(),
  channels: z.array(z.object({ name: z.string(), type: z.enum(['webhook', 'email']), target: z.string().openapi({ description: "a webhook's origin or an e-mail's recipients (never a secret)" }) })),
  rules: z.array(z.looseObject({ name: z.string(), kind: z.string(), severity: SeveritySchema, channels: z.array(z.string()) })),
}).openapi('AlertRules');

const ActiveAlertSchema = z.object({
  rule: z.string(), kind: z.string(), severity: SeveritySchema, subject: z.string(), message: z.string(), value: z.number().nullable(), threshold: z.number().nullable(), startsAt: isoTime,
}).openapi('ActiveAlert');

const AlertRecordSchema = z.object({
  at: isoTime, status: z.enum(['firing', 'resolved']), rule: z.string(), kind: z.string(), severity: SeveritySchema, subject: z.string(), message: z.string(),
  value: z.number().nullable(), threshold: z.number().nullable(), startsAt: isoTime, endsAt: isoTime.nullable(), source: z.string(),
  deliveries: z.array(z.object({ channel: z.string(), ok: z.boolean(), attempts: z.number().int(), error: z.string().nullable() })),
}).openapi('AlertRecord');

const HistoryQuery = z.object({
  status: z.enum(['firing', 'resolved']).optional().openapi({ param: { name: 'status', in: 'query' } }),
  rule: z.string().min(1).max(100).optional().openapi({ param: { name: 'rule', in: 'query' } }),
  limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'the latest N (default 500)' }),
});

function targetOf(c: AlertChannel): string {
  if (c.type === 'email') return c.to.join(', ');
  try {
    return new URL(c.url).origin; // the path of a webhook URL often is its secret
  } catch {
    return '(invalid URL)';
  }
}

export function registerAlertRoutes(app: ApiApp, alerts: AlertService): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/api/alerts/rules', tags: ['alerts'], summary: 'the alert rules and their channels (no secrets)', security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      responses: { 200: json(AlertRulesSchema, 'the rules'), ...errorResponses() },
    }),
    (c) => {
      const cfg = alerts.config;
      return c.json({
        file: cfg?.file ?? null, intervalMs: cfg?.intervalMs ?? null,
        channels: Object.entries(cfg?.channels ?? {}).map(([name, ch]) => ({ name, type: ch.type, target: targetOf(ch) })),
        rules: (cfg?.rules ?? []).map((r) => ({ ...r, channels: r.channels ?? [] })) as z.infer<typeof AlertRulesSchema>['rules'],
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/alerts/active', tags: ['alerts'], summary: 'the alerts firing now', security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      responses: { 200: json(z.object({ alerts: z.array(ActiveAlertSchema) }), 'firing alerts'), ...errorResponses() },
    }),
    (c) => c.json({ alerts: alerts.active().map((a) => ({ ...a, severity: a.severity as z.infer<typeof SeveritySchema> })) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/alerts', tags: ['alerts'], summary: 'the history of alert notifications (firing, resolved) with their deliveries, oldest first', security: SECURITY,
      middleware: [needs('viewer'), unrestricted()] as const,
      request: { query: HistoryQuery },
      responses: { 200: json(z.object({ alerts: z.array(AlertRecordSchema) }), 'the history'), ...errorResponses(400) },
    }),
    (c) => {
      const q = c.req.valid('query');
      const list = alerts.history().filter((r) => (q.status === undefined || r.status === q.status) && (q.rule === undefined || r.rule === q.rule));
      return c.json({ alerts: list.slice(-(q.limit ?? 500)) as z.infer<typeof AlertRecordSchema>[] }, 200);
    },
  );
}
