/**
 * `/api/dags`: the orchestrator store's DAGs, runs, task instances and task logs; trigger, clear, mark and pause
 * (dag-service.ts). Times are ISO-8601 strings here (the store keeps milliseconds).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { DagRunRecord, TaskInstanceRecord } from '../orchestrator/index.ts';
import { body, errorResponses, json, needs, requireNamespace, SECURITY, type ApiApp } from './api-kit.ts';
import {
  ClearSchema, CommandResultSchema, DagIdParams, DagRunSchema, DagSchema, DagTaskSchema, GridQuery, MarkSchema, PauseSchema, RunListQuery, RunParams, TaskInstanceSchema, TaskLogQuery, TaskParams, TriggerSchema,
} from './api-schemas.ts';
import { dagNamespace, type DagService } from './dag-service.ts';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function runJson(r: DagRunRecord) {
  return { ...r, logicalDate: iso(r.logicalDate)!, dataIntervalStart: iso(r.dataIntervalStart)!, dataIntervalEnd: iso(r.dataIntervalEnd)!, queuedAt: iso(r.queuedAt)!, startDate: iso(r.startDate), endDate: iso(r.endDate) };
}

function taskJson(t: TaskInstanceRecord) {
  return {
    ...t, scheduledAt: iso(t.scheduledAt), startDate: iso(t.startDate), endDate: iso(t.endDate), heartbeatAt: iso(t.heartbeatAt), nextAttemptAt: iso(t.nextAttemptAt),
    firstAttemptAt: iso(t.firstAttemptAt), updatedAt: iso(t.updatedAt),
  };
}

export function registerDagRoutes(app: ApiApp, dags: DagService): void {
  // Per-namespace grants: a DAG's namespace is its `namespace:<name>` tag ('default' without one).
  app.use('/api/dags/:dagId/*', async (c, next) => {
    const token = c.get('token');
    if (token?.namespaces !== null && token?.namespaces !== undefined) {
      const dagId = c.req.param('dagId');
      const ns = await dags.namespaceOf(dagId);
      if (ns !== undefined) requireNamespace(token, ns, `DAG '${dagId}'`);
    }
    await next();
  });

  app.openapi(
    createRoute({
      method: 'get', path: '/api/dags', tags: ['dags'], summary: 'the DAGs recorded in the metadata store', security: SECURITY, middleware: [needs('viewer')] as const,
      responses: { 200: json(z.object({ dags: z.array(DagSchema) }), 'the DAGs'), ...errorResponses() },
    }),
    async (c) => {
      const allowed = c.get('token')?.namespaces ?? null;
      const list = await dags.dags();
      return c.json({ dags: allowed === null ? list : list.filter((d) => allowed.includes(dagNamespace(d.tags))) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/dags/{dagId}/runs', tags: ['dags'], summary: "a DAG's runs, oldest first", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: DagIdParams, query: RunListQuery },
      responses: { 200: json(z.object({ runs: z.array(DagRunSchema) }), 'the runs'), ...errorResponses(400, 404) },
    }),
    async (c) => c.json({ runs: (await dags.runs(c.req.valid('param').dagId, c.req.valid('query'))).map(runJson) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/dags/{dagId}/tasks', tags: ['dags'], summary: "a DAG's tasks as its file declares them, with each one's latest instance state", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: DagIdParams },
      responses: { 200: json(z.object({ dag: z.string(), tasks: z.array(DagTaskSchema) }), 'the tasks in topological order'), ...errorResponses(400, 404) },
    }),
    async (c) => {
      const { dagId } = c.req.valid('param');
      return c.json({ dag: dagId, tasks: await dags.dagTasks(dagId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/dags/{dagId}/grid', tags: ['dags'], summary: "the grid view: a DAG's latest runs and all their task instances, in one answer", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: DagIdParams, query: GridQuery },
      responses: { 200: json(z.object({ runs: z.array(DagRunSchema), instances: z.record(z.string(), z.array(TaskInstanceSchema)) }), 'runs (oldest first) and their task instances by run id'), ...errorResponses(400, 404) },
    }),
    async (c) => {
      const { runs, instances } = await dags.grid(c.req.valid('param').dagId, c.req.valid('query').limit);
      return c.json({ runs: runs.map(runJson), instances: Object.fromEntries([...instances].map(([runId, list]) => [runId, list.map(taskJson)])) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/dags/{dagId}/runs/{runId}/tasks', tags: ['dags'], summary: "a run and its task instances", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: RunParams },
      responses: { 200: json(z.object({ run: DagRunSchema, tasks: z.array(TaskInstanceSchema) }), 'the run and its task instances'), ...errorResponses(400, 404) },
    }),
    async (c) => {
      const { dagId, runId } = c.req.valid('param');
      const { run, tasks } = await dags.tasks(dagId, runId);
      return c.json({ run: runJson(run), tasks: tasks.map(taskJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/dags/{dagId}/runs/{runId}/tasks/{taskId}/logs', tags: ['dags'], summary: "a task instance's log (an attempt)", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: TaskParams, query: TaskLogQuery },
      responses: { 200: json(z.object({ try: z.number().int(), of: z.number().int(), state: z.string(), log: z.string() }), 'the log of the attempt'), ...errorResponses(400, 404) },
    }),
    async (c) => {
      const { dagId, runId, taskId } = c.req.valid('param');
      const q = c.req.valid('query');
      return c.json(await dags.log(dagId, runId, taskId, q.mapIndex ?? -1, q.try), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/dags/{dagId}/trigger', tags: ['dags'], summary: 'create a manual run (a scheduler runs it)', security: SECURITY, middleware: [needs('operator')] as const,
      request: { params: DagIdParams, ...body(TriggerSchema) },
      responses: { 201: json(CommandResultSchema, "the run, as 'riffle dag trigger --json' prints it"), ...errorResponses(400, 404, 409) },
    }),
    async (c) => {
      const { dagId } = c.req.valid('param');
      c.set('auditTarget', dagId);
      const o = c.req.valid('json');
      return c.json((await dags.trigger(dagId, o)) as Record<string, unknown>, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/dags/{dagId}/runs/{runId}/clear', tags: ['dags'], summary: 'clear task instances (and downstream) so that they run again', security: SECURITY,
      middleware: [needs('operator')] as const,
      request: { params: RunParams, ...body(ClearSchema) },
      responses: { 200: json(CommandResultSchema, "what was cleared, as 'riffle dag clear --json' prints it"), ...errorResponses(400, 404, 409) },
    }),
    async (c) => {
      const { dagId, runId } = c.req.valid('param');
      c.set('auditTarget', `${dagId}/${runId}`);
      const o = c.req.valid('json');
      return c.json((await dags.clear(dagId, runId, o.tasks, o.downstream === true)) as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/dags/{dagId}/runs/{runId}/mark', tags: ['dags'], summary: 'mark task instances success or failed', security: SECURITY, middleware: [needs('operator')] as const,
      request: { params: RunParams, ...body(MarkSchema) },
      responses: { 200: json(CommandResultSchema, "what was marked, as 'riffle dag mark --json' prints it"), ...errorResponses(400, 404, 409) },
    }),
    async (c) => {
      const { dagId, runId } = c.req.valid('param');
      c.set('auditTarget', `${dagId}/${runId}`);
      const o = c.req.valid('json');
      return c.json((await dags.mark(dagId, runId, o.tasks, o.state, o.downstream === true)) as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/dags/{dagId}/pause', tags: ['dags'], summary: 'pause or unpause a DAG (no scheduled runs while paused)', security: SECURITY, middleware: [needs('operator')] as const,
      request: { params: DagIdParams, ...body(PauseSchema) },
      responses: { 200: json(CommandResultSchema, "as 'riffle dag pause --json' prints it"), ...errorResponses(400, 404, 409) },
    }),
    async (c) => {
      const { dagId } = c.req.valid('param');
      c.set('auditTarget', dagId);
      return c.json((await dags.pause(dagId, c.req.valid('json').paused)) as Record<string, unknown>, 200);
    },
  );
}
