/**
 * Source freshness (dbt's `source freshness`): for each selected source table with a `loaded_at_field` and a
 * `freshness` block, the age of its newest row (`max(loaded_at_field)`, after the optional `filter`) against
 * `warn_after` and `error_after`. A table without freshness rules is left out; one whose query fails is an error.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqlSession } from '../sql-session.ts';
import type { ModelsOptions } from './models-run.ts';
import { loadGraph } from './models-run.ts';
import type { SourceNode } from './project-graph.ts';
import { selectNodes } from './selector.ts';

/** One source table's freshness. */
export interface FreshnessResult {
  readonly source: string;
  readonly status: 'pass' | 'warn' | 'error' | 'runtime error';
  /** ISO timestamp of the newest row, null for an empty table. */
  readonly maxLoadedAt: string | null;
  readonly ageSeconds: number | null;
  readonly warnAfterSeconds?: number;
  readonly errorAfterSeconds?: number;
  readonly message?: string;
}

const PERIOD: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

/** Checks the freshness of the selected sources (default: all) at `now`. */
export async function sourceFreshness(options: ModelsOptions & { now?: Date }): Promise<FreshnessResult[]> {
  const { project, graph } = await loadGraph(options);
  const ids = selectNodes(graph, { select: options.select, exclude: options.exclude, types: new Set(['source']), indirectTests: false });
  const sources = ids.map((id) => graph.nodes.get(id) as SourceNode).filter((s) => s.loadedAtField !== undefined && s.freshness !== undefined && s.freshness !== null);
  const out: FreshnessResult[] = [];
  if (sources.length === 0) return out;
  mkdirSync(dirname(project.target.database), { recursive: true });
  const session = await SqlSession.open({ database: project.target.database, cwd: project.dir });
  const now = (options.now ?? new Date()).getTime();
  try {
    for (const s of sources) {
      const f = s.freshness as NonNullable<SourceNode['freshness']>;
      const warn = f.warn_after ? f.warn_after.count * PERIOD[f.warn_after.period] : undefined;
      const error = f.error_after ? f.error_after.count * PERIOD[f.error_after.period] : undefined;
      const limits = { ...(warn !== undefined ? { warnAfterSeconds: warn } : {}), ...(error !== undefined ? { errorAfterSeconds: error } : {}) };
      try {
        const r = await session.query(`select epoch_ms(max(${s.loadedAtField}::timestamptz)) from ${s.relation}${f.filter ? ` where ${f.filter}` : ''}`);
        const ms = r.rows[0][0];
        if (ms === null || ms === undefined) {
          out.push({ source: s.name, status: error !== undefined ? 'error' : 'warn', maxLoadedAt: null, ageSeconds: null, ...limits, message: 'the table has no rows' });
          continue;
        }
        const age = Math.max(0, (now - Number(ms)) / 1000);
        const status = error !== undefined && age > error ? 'error' : warn !== undefined && age > warn ? 'warn' : 'pass';
        out.push({ source: s.name, status, maxLoadedAt: new Date(Number(ms)).toISOString(), ageSeconds: Math.round(age), ...limits });
      } catch (e) {
        out.push({ source: s.name, status: 'runtime error', maxLoadedAt: null, ageSeconds: null, ...limits, message: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    session.close();
  }
  return out;
}
