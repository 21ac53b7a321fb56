/**
 * The actions of `riffle models`: load the project (every file validated first), run the subcommand, print a line
 * per node on stderr as it finishes and a summary (or one JSON document with --json) on stdout.
 */
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { loadGraph, runModels, sourceFreshness, writeDocs, type ModelsCommand, type ModelsOptions, type ModelsResult } from '../sql/index.ts';

interface ModelsFlags {
  select?: string[];
  exclude?: string[];
  projectDir?: string;
  target?: string;
  vars?: string;
  json?: boolean;
  fullRefresh?: boolean;
  now?: string;
}

/** `--vars`: a YAML (or JSON) mapping. */
export function parseVars(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new UsageError(`--vars is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { hint: `give a mapping: --vars '{as_of: "2024-01-06", days: 3}'` });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--vars must be a mapping of names to values', { hint: `--vars '{as_of: "2024-01-06"}'` });
  return value as Record<string, unknown>;
}

export async function modelsAction(sub: ModelsCommand | 'docs' | 'freshness', cmd: Command, io: CliIO): Promise<number> {
  const flags = cmd.opts<ModelsFlags>();
  const options: ModelsOptions = {
    projectDir: resolve(io.cwd, flags.projectDir ?? '.'),
    ...(flags.select ? { select: flags.select } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.vars !== undefined ? { vars: parseVars(flags.vars) } : {}),
    ...(flags.fullRefresh ? { fullRefresh: true } : {}),
    ...(flags.json ? {} : { log: (line: string) => io.err(line) }),
  };
  if (sub === 'docs') {
    const { graph, project } = await loadGraph(options);
    const paths = writeDocs(graph, project.targetPath);
    if (flags.json) io.out(JSON.stringify({ manifest: paths.manifest, page: paths.page, nodes: graph.nodes.size }));
    else io.out(`wrote ${paths.manifest} and ${paths.page} (${graph.nodes.size} nodes)`);
    return 0;
  }
  if (sub === 'freshness') {
    let now: Date | undefined;
    if (flags.now !== undefined) {
      now = new Date(flags.now);
      if (Number.isNaN(now.getTime())) throw new UsageError(`--now '${flags.now}' is not an ISO timestamp`, { hint: '--now 2024-01-07T00:00:00Z' });
    }
    const results = await sourceFreshness({ ...options, ...(now ? { now } : {}) });
    if (flags.json) io.out(JSON.stringify({ results }, null, 2));
    else if (results.length === 0) io.out('no selected source has loaded_at_field and freshness rules');
    else for (const r of results) io.out(`${r.status.toUpperCase().padEnd(13)} ${r.source}  newest ${r.maxLoadedAt ?? '-'}  age ${r.ageSeconds === null ? '-' : formatAge(r.ageSeconds)}${r.message ? `  (${r.message})` : ''}`);
    return results.some((r) => r.status === 'error' || r.status === 'runtime error') ? 1 : 0;
  }
  const result = await runModels(sub, options);
  if (flags.json) {
    const keepSql = sub === 'compile';
    io.out(JSON.stringify({ ...result, results: result.results.map(({ sql, ...r }) => (keepSql && sql !== undefined ? { ...r, sql } : r)) }, null, 2));
  } else if (sub === 'ls') {
    for (const r of result.results) io.out(`${r.type.padEnd(6)} ${r.name}${r.materialized && r.type === 'model' ? `  (${r.materialized})` : ''}`);
  } else if (sub === 'compile') {
    for (const r of result.results) io.out(`-- ${r.type} ${r.name}\n${r.sql ?? `-- ${r.message ?? ''}`}\n`);
  } else {
    io.out(summary(result));
  }
  return result.ok ? 0 : 1;
}

function formatAge(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400 * 2) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86400).toFixed(1)}d`;
}

function summary(r: ModelsResult): string {
  const c = r.counts;
  const problems = r.results.filter((x) => x.status === 'error' || x.status === 'fail' || x.status === 'warn');
  const lines = problems.map((x) => `${x.status.toUpperCase()} ${x.type} ${x.name}: ${x.message ?? ''}`);
  lines.push(`Done in ${(r.elapsedMs / 1000).toFixed(2)}s. SUCCESS=${c.success} PASS=${c.pass} WARN=${c.warn} FAIL=${c.fail} ERROR=${c.error} SKIP=${c.skipped} TOTAL=${r.results.length} (target ${r.target.name}: ${r.target.database})`);
  return lines.join('\n');
}
