/**
 * `GET /api/lineage`: the OpenLineage RunEvents of the server's jobs (DIR/lineage.jsonl), newest last; `?job=<id>`
 * keeps one job's events.
 */
import { readFileSync } from 'node:fs';
import { createRoute, z } from '@hono/zod-openapi';
import { lineageRunId, type LineageLog } from '../observe/index.ts';
import { errorResponses, json, needs, SECURITY, unrestricted, type ApiApp } from './api-kit.ts';

const RunEventSchema = z.looseObject({
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']),
  eventTime: z.string(),
  producer: z.string(),
  schemaURL: z.string(),
  run: z.looseObject({ runId: z.string(), facets: z.record(z.string(), z.unknown()) }),
  job: z.looseObject({ namespace: z.string(), name: z.string(), facets: z.record(z.string(), z.unknown()) }),
  inputs: z.array(z.looseObject({ namespace: z.string(), name: z.string() })),
  outputs: z.array(z.looseObject({ namespace: z.string(), name: z.string() })),
}).openapi('RunEvent', { description: 'an OpenLineage RunEvent (spec 2-0-2)' });

const LineageQuery = z.object({
  job: z.string().min(1).max(200).optional().openapi({ param: { name: 'job', in: 'query' }, description: "only this job's events (a server job's id)" }),
  name: z.string().min(1).max(600).optional().openapi({ param: { name: 'name', in: 'query' }, description: 'only events of the lineage job of this name (a pipeline module, or `<dag>.<task>` for orchestrator tasks)' }),
  limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'the latest N events (default 1000)' }),
});

type StoredEvent = z.infer<typeof RunEventSchema>;

/** The events as written (RunEvent objects), typed as the answer's schema. */
function readEvents(file: string): StoredEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const events: StoredEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as StoredEvent);
    } catch {
      // a torn last line
    }
  }
  return events;
}

export function registerLineageRoutes(app: ApiApp, lineage: LineageLog, poll?: () => Promise<unknown>): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/api/lineage', tags: ['lineage'], summary: "OpenLineage RunEvents of the server's jobs and of the orchestrator's task attempts", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      request: { query: LineageQuery },
      responses: { 200: json(z.object({ events: z.array(RunEventSchema) }), 'the events, oldest first'), ...errorResponses(400) },
    }),
    async (c) => {
      await poll?.();
      const q = c.req.valid('query');
      let events = readEvents(lineage.file);
      if (q.job !== undefined) {
        const runId = lineageRunId(q.job);
        events = events.filter((e) => e.run.runId === runId);
      }
      if (q.name !== undefined) events = events.filter((e) => e.job.name === q.name);
      return c.json({ events: events.slice(-(q.limit ?? 1000)) }, 200);
    },
  );
}
