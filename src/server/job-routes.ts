/**
 * `/api/jobs`: list and submit jobs, a job's record, cancel, drain, its log and its graph with per-step metrics.
 */
import { createRoute, type z } from '@hono/zod-openapi';
import type { Context, TypedResponse } from 'hono';
import { body, errorResponses, json, needs, requireNamespace, SECURITY, type ApiApp, type ApiEnv } from './api-kit.ts';
import { DescribeQuery, JobGraphSchema, TemplateSchema, JobIdParams, JobListQuery, JobListSchema, JobLogSchema, JobSchema, LogQuery, StepHistoryQuery, StepHistorySchema, SubmitJobSchema } from './api-schemas.ts';
import { jobGraphOf, pointJson } from './job-graph.ts';
import type { JobManager } from './job-manager.ts';
import type { JobRecord } from './job-record.ts';

/** The job, if the caller's token is granted its namespace (else 403; 404 when there is no such job). */
export function jobJoinable(jobs: JobManager, c: Context<ApiEnv>, id: string): JobRecord {
  const job = jobs.get(id);
  requireNamespace(c.get('token'), job.namespace, `job '${id}'`);
  return job;
}


export function registerJobRoutes(app: ApiApp, jobs: JobManager): void {
  const visible = (c: Context<ApiEnv>, id: string) => jobJoinable(jobs, c, id);
  app.openapi(
    createRoute({
      method: 'get', path: '/api/templates/describe', tags: ['jobs'], summary: "a pipeline module's description and parameters (what a submission takes)", security: SECURITY,
      middleware: [needs('viewer')] as const,
      request: { query: DescribeQuery },
      responses: { 200: json(TemplateSchema, "as 'riffle template describe --json' prints it"), ...errorResponses(400, 404) },
    }),
    async (c) => c.json(await jobs.describe(c.req.valid('query').pipeline), 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/jobs', tags: ['jobs'], summary: 'the jobs, newest first', security: SECURITY, middleware: [needs('viewer')] as const,
      request: { query: JobListQuery },
      responses: { 200: json(JobListSchema, 'the jobs'), ...errorResponses(400) },
    }),
    (c) => {
      // The list's JSON text is cached by the manager until a job changes (the same document c.json would write).
      return c.body(jobs.listJson({ ...c.req.valid('query'), namespaces: c.get('token')?.namespaces ?? null }), 200, { 'content-type': 'application/json' }) as unknown as TypedResponse<z.infer<typeof JobListSchema>, 200, 'json'>;
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/jobs', tags: ['jobs'], summary: 'submit a job: a pipeline module and its parameters (checked before it starts)', security: SECURITY,
      middleware: [needs('developer')] as const,
      request: body(SubmitJobSchema),
      responses: { 201: json(JobSchema, 'the job, running (or pending if it takes long to start)'), ...errorResponses(400, 404) },
    }),
    async (c) => {
      const { pipeline, params, namespace } = c.req.valid('json');
      requireNamespace(c.get('token'), namespace ?? 'default', 'the job');
      const job = await jobs.submit(pipeline, params ?? {}, c.get('token')?.id ?? null, namespace ?? 'default');
      c.set('auditTarget', job.id);
      return c.json(job, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/jobs/{id}', tags: ['jobs'], summary: "a job's record: state, times, exit status, counts", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: JobIdParams },
      responses: { 200: json(JobSchema, 'the job'), ...errorResponses(400, 404) },
    }),
    (c) => c.json(visible(c, c.req.valid('param').id), 200),
  );

  for (const op of ['cancel', 'drain'] as const) {
    app.openapi(
      createRoute({
        method: 'post', path: `/api/jobs/{id}/${op}`, tags: ['jobs'], security: SECURITY, middleware: [needs('operator')] as const,
        summary: op === 'cancel' ? 'cancel a job (SIGTERM: the run stops and removes its temporary output)' : 'drain a job (SIGUSR2: reading stops, windows fire, sinks commit)',
        request: { params: JobIdParams },
        responses: { 202: json(JobSchema, `the job; its state changes when the ${op} is done`), ...errorResponses(400, 404, 409) },
      }),
      (c) => {
        const { id } = c.req.valid('param');
        c.set('auditTarget', id);
        visible(c, id);
        return c.json(op === 'cancel' ? jobs.cancel(id) : jobs.drain(id), 202);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get', path: '/api/jobs/{id}/logs', tags: ['jobs'], summary: "a job's log (its stderr), from a byte offset", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: JobIdParams, query: LogQuery },
      responses: { 200: json(JobLogSchema, 'a slice of the log'), ...errorResponses(400, 404) },
    }),
    (c) => {
      const q = c.req.valid('query');
      visible(c, c.req.valid('param').id);
      return c.json(jobs.logs(c.req.valid('param').id, q.offset ?? 0, q.limit ?? 1024 * 1024), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/jobs/{id}/graph', tags: ['jobs'], summary: "a job's steps and edges, with per-step metrics and live progress", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: JobIdParams },
      responses: { 200: json(JobGraphSchema, 'the graph'), ...errorResponses(400, 404) },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      visible(c, id);
      return c.json(jobGraphOf(jobs.events(id), jobs.stepHistory(id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/jobs/{id}/metrics', tags: ['jobs'], summary: "a job's per-step history (about one point a second, the last 300): counts, throughput, watermark, lag", security: SECURITY,
      middleware: [needs('viewer')] as const,
      request: { params: JobIdParams, query: StepHistoryQuery },
      responses: { 200: json(StepHistorySchema, 'the history, oldest point first'), ...errorResponses(400, 404) },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      visible(c, id);
      const steps = jobs.stepHistory(id).history(q.step, q.limit ?? 300).map((h) => ({ step: h.step, points: h.points.map(pointJson) }));
      return c.json({ job: id, steps }, 200);
    },
  );
}
