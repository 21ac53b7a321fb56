/**
 * Delta tables for the API, read as `riffle table describe|history|show` reads them (src/lakehouse DeltaTable):
 * the tables under a root folder (`--tables DIR`, default the project), a table's metadata and schema, its commit
 * history, its data files and a sample of its rows. Table paths from requests are relative to the root and kept
 * inside it; values that JSON cannot hold (64-bit integers, bytes, dates) are written as strings.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ApiError } from './api-error.ts';
import { inside } from './quality-service.ts';

const lakehouse = () => import('../lakehouse/index.ts');

export class TableService {
  constructor(readonly root: string) {}

  /** Folders holding a `_delta_log` under the root (at most 4 levels down, hidden folders and node_modules skipped). */
  list(): string[] {
    const out: string[] = [];
    const walk = (dir: string, depth: number) => {
      if (existsSync(join(dir, '_delta_log'))) {
        out.push(relative(this.root, dir).split(sep).join('/') || '.');
        return;
      }
      if (depth >= 4) return;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') walk(join(dir, e.name), depth + 1);
    };
    walk(this.root, 0);
    return out.sort();
  }

  private async open(path: string) {
    const dir = path === '.' ? this.root : inside(this.root, path, 'path');
    if (!existsSync(join(dir, '_delta_log'))) throw new ApiError(404, 'TABLE_NOT_FOUND', `no Delta table at '${path}'`, 'GET /api/tables lists the tables');
    return (await lakehouse()).DeltaTable.open(dir);
  }

  async describe(path: string) {
    const snapshot = await (await this.open(path)).snapshot();
    const { metadata, protocol } = snapshot;
    return {
      path, version: snapshot.version, id: metadata.id, name: metadata.name ?? null, description: metadata.description ?? null,
      createdTime: metadata.createdTime ? new Date(metadata.createdTime).toISOString() : null,
      schema: snapshot.schema.fields.map((f) => ({ name: f.name, type: typeof f.type === 'string' ? f.type : JSON.stringify(f.type), nullable: f.nullable, partition: snapshot.partitionColumns.includes(f.name) })),
      partitionColumns: [...snapshot.partitionColumns], properties: { ...metadata.configuration },
      protocol: { minReaderVersion: protocol.minReaderVersion, minWriterVersion: protocol.minWriterVersion },
      numFiles: snapshot.files.length, sizeInBytes: snapshot.files.reduce((n, f) => n + f.size, 0),
      numRecords: snapshot.files.every((f) => f.stats.numRecords !== undefined) ? snapshot.files.reduce((n, f) => n + (f.stats.numRecords ?? 0), 0) : null,
    };
  }

  async history(path: string, limit: number) {
    const history = await (await this.open(path)).history(limit);
    return history.map((h) => ({ version: h.version, timestamp: new Date(h.timestamp).toISOString(), operation: h.operation ?? null, operationParameters: jsonSafe(h.operationParameters) as Record<string, unknown>, operationMetrics: jsonSafe(h.commitInfo.operationMetrics ?? null) as Record<string, unknown> | null }));
  }

  async files(path: string, limit: number) {
    const snapshot = await (await this.open(path)).snapshot();
    return {
      version: snapshot.version, total: snapshot.files.length,
      files: snapshot.files.slice(0, limit).map((f) => ({ path: f.path, size: f.size, modificationTime: new Date(f.modificationTime).toISOString(), partitionValues: Object.fromEntries(Object.entries(f.partitionValues).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)])), numRecords: f.stats.numRecords ?? null })),
    };
  }

  async sample(path: string, limit: number, version?: number) {
    const table = await this.open(path);
    const snapshot = await table.snapshot(version !== undefined ? { version } : {});
    const rows = await table.read({ version: snapshot.version });
    return { version: snapshot.version, total: rows.length, rows: rows.slice(0, limit).map((r) => jsonSafe(r) as Record<string, unknown>) };
  }
}

/** A value JSON can hold: bigints and dates as strings, bytes as base64. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonSafe(x)]));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}
