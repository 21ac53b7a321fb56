/**
 * `/api/quality`: the validation results store (suites, a suite's results, one result in full) and the data docs
 * site (its index, and a page as HTML or Markdown). 404 with a hint when the server has no store or site.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, json, needs, SECURITY, unrestricted, type ApiApp } from './api-kit.ts';
import type { QualityService } from './quality-service.ts';

const isoTime = z.string().openapi({ format: 'date-time' });
const StatisticsSchema = z.object({ evaluated_expectations: z.number(), successful_expectations: z.number(), unsuccessful_expectations: z.number(), success_percent: z.number().nullable() });
const SuiteParams = z.object({ suite: z.string().min(1).max(250).openapi({ param: { name: 'suite', in: 'path' }, example: 'orders' }) });
const ResultsQuery = z.object({
  asset: z.string().min(1).max(500).optional().openapi({ param: { name: 'asset', in: 'query' }, description: "only this asset's results" }),
  limit: z.coerce.number().int().min(1).max(10_000).optional().openapi({ param: { name: 'limit', in: 'query' }, description: 'the newest N' }),
});
const PathQuery = z.object({ path: z.string().min(1).max(1000).openapi({ param: { name: 'path', in: 'query' }, description: 'a path as the listing gives it' }) });

export function registerQualityRoutes(app: ApiApp, quality: QualityService): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/api/quality/suites', tags: ['quality'], summary: 'the suites with stored validation results, each with its latest', security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      responses: { 200: json(z.object({ suites: z.array(z.object({ suite: z.string(), results: z.number().int(), latest: z.object({ runTime: isoTime, success: z.boolean(), successPercent: z.number().nullable() }).nullable() })) }), 'the suites'), ...errorResponses(404) },
    }),
    async (c) => c.json({ suites: await quality.suites() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/quality/suites/{suite}/results', tags: ['quality'], summary: "a suite's validation results, newest first", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      request: { params: SuiteParams, query: ResultsQuery },
      responses: {
        200: json(z.object({ results: z.array(z.object({ suite: z.string(), runName: z.string(), runTime: isoTime, asset: z.string(), success: z.boolean(), statistics: StatisticsSchema, rowCount: z.number(), path: z.string() })) }), 'the results'),
        ...errorResponses(400, 404),
      },
    }),
    async (c) => c.json({ results: await quality.results(c.req.valid('param').suite, c.req.valid('query')) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/quality/result', tags: ['quality'], summary: "one stored validation result in full (Great Expectations' JSON)", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      request: { query: PathQuery },
      responses: { 200: json(z.record(z.string(), z.unknown()).openapi('ValidationResult'), 'the result'), ...errorResponses(400, 404) },
    }),
    async (c) => c.json(await quality.result(c.req.valid('query').path), 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/quality/docs', tags: ['quality'], summary: "the data docs site's index: every validation page, newest first", security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      responses: {
        200: json(z.object({ pages: z.array(z.object({ suite: z.string(), runName: z.string(), runTime: isoTime, asset: z.string(), checkpoint: z.string().nullable(), success: z.boolean(), statistics: StatisticsSchema, rowCount: z.number(), page: z.string() })) }), 'the index'),
        ...errorResponses(404),
      },
    }),
    async (c) => c.json({ pages: await quality.docsIndex() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api/quality/docs/page', tags: ['quality'], summary: 'a data docs page (HTML or Markdown)', security: SECURITY, middleware: [needs('viewer'), unrestricted()] as const,
      request: { query: PathQuery },
      responses: {
        200: { description: 'the page', content: { 'text/html': { schema: z.string() }, 'text/markdown': { schema: z.string() } } },
        ...errorResponses(400, 404),
      },
    }),
    (c) => {
      const page = quality.docsPage(c.req.valid('query').path);
      // The page is the site's own self-contained HTML: no script of ours runs in it, and it is served as a download-less document.
      return c.body(page.text, 200, { 'content-type': page.type, 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:", 'x-content-type-options': 'nosniff' });
    },
  );
}
