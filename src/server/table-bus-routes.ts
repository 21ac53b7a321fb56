/**
 * `/api/tables` (Delta tables under the server's tables root: list, describe with schema, history, files, a
 * sample of rows) and `/api/bus` (the bus's topics and subscriptions with backlog, when the server has a bus).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, json, needs, SECURITY, unrestricted, type ApiApp } from './api-kit.ts';
import type { BusService } from './bus-service.ts';
import type { TableService } from './table-service.ts';

const isoTime = z.string().openapi({ format: 'date-time' });
const TablePath = { path: z.string().min(1).max(1000).openapi({ param: { name: 'path', in: 'query' }, description: 'the table folder, relative to the tables root (GET /api/tables lists them)', example: 'warehouse/orders' }) };
const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).optional().openapi({ param: { name: 'limit', in: 'query' }, description: `at most this many (default ${dflt})` });
const errors502 = { 502: { description: 'the bus did not answer', content: { 'application/json': { schema: z.object({ error: z.object({ code: z.string(), message: z.string() }).catchall(z.unknown()) }) } } } };

export function registerTableBusRoutes(app: ApiApp, tables: TableService, bus: BusService): void {
  app.openapi(
    createRoute({ method: 'get', path: '/api/tables', tags: ['tables'], summary: 'the Delta tables under the tables root', security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const, responses: { 200: json(z.object({ tables: z.array(z.string()) }), 'table folders'), ...errorResponses() } }),
    (c) => c.json({ tables: tables.list() }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/api/tables/describe', tags: ['tables'], summary: "a table's metadata, schema, size and protocol", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const, request: { query: z.object(TablePath) },
      responses: {
        200: json(z.object({
          path: z.string(), version: z.number().int(), id: z.string(), name: z.string().nullable(), description: z.string().nullable(), createdTime: isoTime.nullable(),
          schema: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), partition: z.boolean() })), partitionColumns: z.array(z.string()), properties: z.record(z.string(), z.string()),
          protocol: z.object({ minReaderVersion: z.number().int(), minWriterVersion: z.number().int() }), numFiles: z.number().int(), sizeInBytes: z.number(), numRecords: z.number().nullable(),
        }).openapi('TableDescription'), 'the table'),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json(await tables.describe(c.req.valid('query').path), 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/api/tables/history', tags: ['tables'], summary: "a table's commits, newest first", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const, request: { query: z.object({ ...TablePath, limit: limit(10_000, 100) }) },
      responses: { 200: json(z.object({ history: z.array(z.object({ version: z.number().int(), timestamp: isoTime, operation: z.string().nullable(), operationParameters: z.record(z.string(), z.unknown()), operationMetrics: z.record(z.string(), z.unknown()).nullable() })) }), 'the commits'), ...errorResponses(400, 404) },
    }),
    async (c) => c.json({ history: await tables.history(c.req.valid('query').path, c.req.valid('query').limit ?? 100) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/api/tables/files', tags: ['tables'], summary: "a table's data files at its latest version", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const, request: { query: z.object({ ...TablePath, limit: limit(100_000, 1000) }) },
      responses: { 200: json(z.object({ version: z.number().int(), total: z.number().int(), files: z.array(z.object({ path: z.string(), size: z.number(), modificationTime: isoTime, partitionValues: z.record(z.string(), z.string().nullable()), numRecords: z.number().nullable() })) }), 'the files'), ...errorResponses(400, 404) },
    }),
    async (c) => c.json(await tables.files(c.req.valid('query').path, c.req.valid('query').limit ?? 1000), 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/api/tables/sample', tags: ['tables'], summary: "the first rows of a table (at a version)", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      request: { query: z.object({ ...TablePath, limit: limit(1000, 20), version: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().openapi({ param: { name: 'version', in: 'query' } }) }) },
      responses: { 200: json(z.object({ version: z.number().int(), total: z.number().int(), rows: z.array(z.record(z.string(), z.unknown())) }), 'the rows'), ...errorResponses(400, 404) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await tables.sample(q.path, q.limit ?? 20, q.version), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/bus/topics', tags: ['bus'], summary: "the bus's topics with their retained messages and publish rate", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      responses: { 200: json(z.object({ topics: z.array(z.object({ name: z.string(), messages: z.number(), bytes: z.number(), segments: z.number(), publishRate: z.number(), oldestPublishTime: isoTime.nullable() })) }), 'the topics'), ...errorResponses(404), ...errors502 },
    }),
    async (c) => c.json({ topics: await bus.topics() }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/api/bus/subscriptions', tags: ['bus'], summary: "the bus's subscriptions with their backlog and rates", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      request: { query: z.object({ topic: z.string().min(1).max(255).optional().openapi({ param: { name: 'topic', in: 'query' } }) }) },
      responses: {
        200: json(z.object({ subscriptions: z.array(z.object({ name: z.string(), topic: z.string(), backlogMessages: z.number(), backlogBytes: z.number(), oldestUnackedAgeMs: z.number().nullable(), outstandingMessages: z.number(), deliveryRate: z.number(), ackRate: z.number(), nackRate: z.number(), expiredDeadlines: z.number(), deadLettered: z.number() })) }), 'the subscriptions'),
        ...errorResponses(400, 404), ...errors502,
      },
    }),
    async (c) => c.json({ subscriptions: await bus.subscriptions(c.req.valid('query').topic) }, 200),
  );
}
