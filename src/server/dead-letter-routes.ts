/**
 * `/api/jobs/{id}/dead-letters`: browse a job's rejected records (counts by step and reason, a page of records with
 * their raw bytes) and replay selected ones: their elements written to a new file in the project (a chosen sink),
 * and, with `resubmit`, the job's pipeline submitted again with one parameter pointing at that file. Replays are
 * audited (the audit log's target names the job, the file and the new job).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { body, errorResponses, json, needs, SECURITY, type ApiApp } from './api-kit.ts';
import { JobIdParams, JobSchema } from './api-schemas.ts';
import { ApiError } from './api-error.ts';
import { summarize, writeReplayFile } from './dead-letters.ts';
import type { JobManager } from './job-manager.ts';
import { jobJoinable } from './job-routes.ts';

const DeadLetterSchema = z.object({
  index: z.number().int(), step: z.string(), error: z.string(), time: z.string().nullable(), origin: z.record(z.string(), z.unknown()).nullable(),
  element: z.unknown().openapi({ description: 'the element as JSON (null when it was raw bytes)' }),
  raw: z.string().nullable().openapi({ description: 'the raw bytes of an undecodable record, base64' }),
  excerpt: z.boolean().openapi({ description: 'the element could not be written as JSON: this is an excerpt' }),
}).openapi('DeadLetter');

const DeadLettersQuery = z.object({
  step: z.string().min(1).max(1000).optional().openapi({ param: { name: 'step', in: 'query' }, description: "only this step's records" }),
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().openapi({ param: { name: 'offset', in: 'query' } }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'default 100' }),
});

const ReplaySchema = z.strictObject({
  records: z.array(z.number().int().min(0)).min(1).max(100_000).optional().openapi({ description: 'the indexes of the records to replay (default all, or all of `step`)' }),
  step: z.string().min(1).max(1000).optional().openapi({ description: "only this step's records" }),
  // eslint-disable-next-line no-control-regex -- the pattern is about that control character
  output: z.string().min(1).max(1024).regex(/^[^/\u0000][^\u0000]*$/, 'a relative path').openapi({ description: 'the new JSON Lines file, relative to the project (never overwritten)', example: 'replay/orders-retry.jsonl' }),
  resubmit: z.strictObject({ param: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a parameter name').max(200) }).optional().openapi({ description: "submit the job's pipeline again, its parameters as before but this one set to the file" }),
}).openapi('ReplayDeadLetters');

export function registerDeadLetterRoutes(app: ApiApp, jobs: JobManager): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/api/jobs/{id}/dead-letters', tags: ['jobs'], summary: "a job's dead letters: counts by step and reason, and a page of records", security: SECURITY, middleware: [needs('viewer')] as const,
      request: { params: JobIdParams, query: DeadLettersQuery },
      responses: {
        200: json(z.object({ count: z.number().int(), byStep: z.record(z.string(), z.number().int()), byReason: z.array(z.object({ reason: z.string(), count: z.number().int() })), offset: z.number().int(), records: z.array(DeadLetterSchema) }).openapi('DeadLetters'), 'the dead letters'),
        ...errorResponses(400, 404),
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      jobJoinable(jobs, c, c.req.valid('param').id);
      const all = jobs.deadLetters(c.req.valid('param').id);
      const selected = q.step === undefined ? all : all.filter((r) => r.step === q.step);
      const offset = q.offset ?? 0;
      return c.json({ ...summarize(all), offset, records: selected.slice(offset, offset + (q.limit ?? 100)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/api/jobs/{id}/dead-letters/replay', tags: ['jobs'], summary: "replay dead letters: to a new file, and optionally through the job's pipeline again", security: SECURITY,
      middleware: [needs('developer')] as const,
      request: { params: JobIdParams, ...body(ReplaySchema) },
      responses: {
        201: json(z.object({ file: z.string(), records: z.number().int(), job: JobSchema.nullable() }).openapi('ReplayResult'), 'the file written (relative to the project) and the new job, if any'),
        ...errorResponses(400, 404, 409),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const r = c.req.valid('json');
      c.set('auditTarget', id);
      const source = jobJoinable(jobs, c, id);
      const all = jobs.deadLetters(id);
      let chosen = r.step === undefined ? all : all.filter((d) => d.step === r.step);
      if (r.records !== undefined) {
        const wanted = new Set(r.records);
        const missing = r.records.find((i) => i >= all.length);
        if (missing !== undefined) throw new ApiError(400, 'NO_SUCH_RECORD', `job '${id}' has ${all.length} dead letters: there is no record ${missing}`, 'GET /api/jobs/{id}/dead-letters lists them', { key: 'records', expected: `indexes below ${all.length}` });
        chosen = chosen.filter((d) => wanted.has(d.index));
      }
      if (chosen.length === 0) throw new ApiError(409, 'NOTHING_TO_REPLAY', `job '${id}' has no dead letters${r.step !== undefined ? ` of step '${r.step}'` : ''} to replay`);
      writeReplayFile(jobs.projectDir, r.output, chosen);
      let job = null;
      if (r.resubmit !== undefined) job = await jobs.submit(source.pipeline, { ...source.params, [r.resubmit.param]: r.output }, c.get('token')?.id ?? null, source.namespace);
      c.set('auditTarget', `${id} -> ${r.output}${job !== null ? ` -> ${job.id}` : ''} (${chosen.length} records)`);
      return c.json({ file: r.output, records: chosen.length, job }, 201);
    },
  );
}
