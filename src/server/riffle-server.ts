/**
 * `startRiffleServer`: the API (api-app.ts) on @hono/node-server, over a server directory (server-dir.ts): jobs,
 * tokens, the audit log and, by default, the orchestrator's store. Listens on loopback unless a host is given.
 * `close()` stops accepting connections, cancels the running jobs (they are recorded cancelled) and resolves.
 * @example
 *   const server = await startRiffleServer({ dir: '.riffle/server', port: 0 });
 *   console.log(server.url); // http://127.0.0.1:40123/
 *   await server.close();
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { createRiffleMetrics, LineageLog, RIFFLE_PRODUCER } from '../observe/index.ts';
import { parseStoreSpec } from '../orchestrator/index.ts';
import { RiffleError } from '../model/index.ts';
import { apiApp } from './api-app.ts';
import { AuditLog } from './audit-log.ts';
import { DagService } from './dag-service.ts';
import { JobManager } from './job-manager.ts';
import { ensureDir, serverPaths } from './server-dir.ts';
import { AlertService } from './alert-service.ts';
import { QualityService } from './quality-service.ts';
import { BusService } from './bus-service.ts';
import { TableService } from './table-service.ts';
import { TaskLineage } from './task-lineage.ts';
import { TokenStore, type TokenRecord } from './token-store.ts';

export const DEFAULT_SERVER_PORT = 8080;

export interface RiffleServerOptions {
  /** The server's directory (jobs, tokens, audit log, and the orchestrator's store by default). */
  readonly dir: string;
  /** Where pipeline modules and the DAG folder are (default the current directory). */
  readonly projectDir?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The metadata store: a directory or postgres:// URL (default DIR/orchestrator). */
  readonly store?: string;
  /** The DAG folder, relative to the project directory (default dags). */
  readonly dags?: string;
  /** Where task logs were uploaded (project setting remoteLogFolder): the log route reads them there when the store has none. */
  readonly remoteLogFolder?: string;
  /** Added as an admin token when the server starts ($RIFFLE_ADMIN_TOKEN). */
  readonly adminToken?: string;
  readonly version?: string;
  /** How long a job submission waits for the job to start before answering "pending" (default 30 s). */
  readonly jobStartWaitMs?: number;
  /** The alert rules file (default DIR/alerts.yaml, when it exists). */
  readonly alerts?: string;
  /** The quality results store (default quality/results in the project, when it exists). */
  readonly qualityStore?: string;
  /** The data docs site (default quality/docs in the project, when it exists). */
  readonly dataDocs?: string;
  /** The URL of a `riffle bus serve` whose topics and subscriptions the server shows (token: busToken). */
  readonly bus?: string;
  readonly busToken?: string;
  /** Where the Delta tables the API lists are (default the project directory). */
  readonly tables?: string;
  readonly log?: (line: string) => void;
  readonly logError?: (e: unknown) => void;
}

export interface RiffleServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The admin token seeded from `adminToken`, if any (its record, not the secret). */
  readonly seededAdmin: TokenRecord | undefined;
  close(): Promise<void>;
}

export async function startRiffleServer(o: RiffleServerOptions): Promise<RiffleServer> {
  const dir = resolve(o.dir);
  const projectDir = resolve(o.projectDir ?? process.cwd());
  const paths = serverPaths(dir);
  ensureDir(dir);
  const log = o.log ?? (() => undefined);
  const logError = o.logError ?? ((e: unknown) => process.stderr.write(`riffle server: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));

  // The alert rules are checked first: a mistake stops the server before it listens (file, line, key).
  const alertConfig = AlertService.load(o.alerts !== undefined ? resolve(o.alerts) : undefined, join(dir, 'alerts.yaml'));
  const tokens = new TokenStore(paths.tokens);
  const seededAdmin = o.adminToken !== undefined && o.adminToken !== '' ? tokens.seedAdmin(o.adminToken) : undefined;
  const storeArg = o.store ?? paths.orchestrator;
  const dags = new DagService({ storeArg, store: parseStoreSpec(storeArg), dagsFolder: o.dags ?? 'dags', projectDir, ...(o.remoteLogFolder !== undefined ? { remoteLogFolder: o.remoteLogFolder } : {}) });
  // The metrics read the jobs, which report finished jobs to the metrics: the manager is created second.
  const created: { jobs?: JobManager; bus?: BusService } = {};
  const metrics = await createRiffleMetrics({
    refresh: async (g) => {
      const jobs = created.jobs;
      if (jobs === undefined) return;
      g.jobs(jobs.countByState());
      for (const j of jobs.list()) if (j.counts !== null && (j.state === 'running' || j.state === 'draining')) g.jobProgress(j.id, j.counts.elementsRead, j.counts.elementsProcessed);
      for (const { job, steps } of jobs.liveSteps()) {
        g.steps(job, [...steps].map(([step, p]) => ({ step, ...p, watermark: p.outputWatermark !== null && p.watermarkLagMs !== null ? p.outputWatermark : null })));
      }
      const counts = await dags.counts().catch((e: unknown) => {
        logError(e);
        return { runs: [], tasks: {} };
      });
      g.dagRuns(counts.runs);
      g.taskInstances(counts.tasks);
      g.pools(await dags.poolUse().catch((e: unknown) => (logError(e), [])));
      g.busBacklog(await created.bus?.backlog() ?? []);
    },
  });
  const lineage = new LineageLog(paths.lineage);
  const jobs = (created.jobs = new JobManager({
    jobsDir: paths.jobs, projectDir, metrics, log, lineage: (e) => lineage.append(e), lineageProducer: `${RIFFLE_PRODUCER}:${o.version ?? 'unknown'}`,
    ...(o.jobStartWaitMs !== undefined ? { startWaitMs: o.jobStartWaitMs } : {}),
  }));
  // Orchestrator task attempts' lineage, from the store (every 10 s, and before /api/lineage answers).
  const taskLineage = new TaskLineage(() => dags.attempts(), (e) => lineage.append(e), `${RIFFLE_PRODUCER}:${o.version ?? 'unknown'}`, paths.lineage);
  let polling: Promise<unknown> | undefined;
  const pollTaskLineage = () => (polling ??= taskLineage.poll().catch((e: unknown) => logError(e)).finally(() => (polling = undefined)));
  const lineageTimer = setInterval(() => void pollTaskLineage(), 10_000);
  lineageTimer.unref();
  const quality = new QualityService({ store: resolve(projectDir, o.qualityStore ?? 'quality/results'), docs: resolve(projectDir, o.dataDocs ?? 'quality/docs') });
  const tables = new TableService(resolve(projectDir, o.tables ?? '.'));
  const bus = (created.bus = new BusService(o.bus, o.busToken));
  const alerts = new AlertService(alertConfig, join(dir, 'alerts.jsonl'), { jobs, dags, quality }, log);
  const app = apiApp({ jobs, dags, tokens, lineage, pollTaskLineage, alerts, quality, tables, bus, audit: new AuditLog(paths.audit), metrics, version: o.version ?? 'unknown', logError });

  const host = o.host ?? '127.0.0.1';
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((done, fail) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const what = e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      void jobs.close(0);
      fail(new RiffleError('SERVER_LISTEN_FAILED', `cannot listen on ${host}:${o.port ?? DEFAULT_SERVER_PORT}: ${what}`, { domain: 'external', hint: 'choose another --port (0 picks a free one) or --host', cause: e }));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      done();
    });
    server.listen(o.port ?? DEFAULT_SERVER_PORT, host);
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}/`,
    port: address.port,
    dir,
    seededAdmin,
    close: () =>
      (closing ??= (async () => {
        clearInterval(lineageTimer);
        alerts.close();
        await bus.close();
        const closed = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        await jobs.close();
        const sweep = setInterval(() => server.closeIdleConnections(), 20);
        const grace = setTimeout(() => server.closeAllConnections(), 5000);
        try {
          await closed;
        } finally {
          clearInterval(sweep);
          clearTimeout(grace);
        }
      })()),
  };
}
