/**
 * `riffle table describe|history|show|changes`: what a table holds — its metadata, its commits, its rows at a version
 * (with a predicate that also skips files), and its change data feed.
 */
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { intFlag, jsonValue, listFlag, open, printRows, timestampFlag, typesOf, whereFlag, type Flags } from './table-options.ts';
import { formatNumber, formatTable, type Cell } from './table.ts';
import { stringify } from './run-report.ts';

export async function describeAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const snapshot = await (await open(path, flags)).snapshot();
  const size = snapshot.files.reduce((n, f) => n + f.size, 0);
  const { protocol, metadata } = snapshot;
  const info = {
    table: path, version: snapshot.version, id: metadata.id, name: metadata.name ?? null, description: metadata.description ?? null,
    createdTime: metadata.createdTime ? new Date(metadata.createdTime).toISOString() : null,
    schema: snapshot.schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
    partitionColumns: snapshot.partitionColumns, properties: metadata.configuration,
    protocol: { minReaderVersion: protocol.minReaderVersion, minWriterVersion: protocol.minWriterVersion, readerFeatures: protocol.readerFeatures ?? null, writerFeatures: protocol.writerFeatures ?? null },
    numFiles: snapshot.files.length, sizeInBytes: size,
    numRecords: snapshot.files.every((f) => f.stats.numRecords !== undefined) ? snapshot.files.reduce((n, f) => n + (f.stats.numRecords ?? 0), 0) : null,
    appTransactions: Object.fromEntries([...snapshot.appTransactions].map(([id, t]) => [id, t.version])),
  };
  if (flags.json === true) {
    io.out(stringify(info));
    return 0;
  }
  const features = [...(protocol.readerFeatures ?? []), ...(protocol.writerFeatures ?? [])];
  io.out(formatTable(['property', 'value'], [
    ['table', path], ['version', info.version], ['id', info.id], ['name', info.name ?? ''], ['created', info.createdTime ?? ''],
    ['partition columns', info.partitionColumns.join(', ') || '(none)'],
    ['protocol', `reader ${protocol.minReaderVersion}, writer ${protocol.minWriterVersion}${features.length ? ` (${[...new Set(features)].join(', ')})` : ''}`],
    ['files', info.numFiles], ['size', `${formatNumber(size)} bytes`], ['rows', info.numRecords ?? 'unknown'],
    ...Object.entries(metadata.configuration).map(([k, v]): Cell[] => [`property ${k}`, v]),
    ...Object.entries(info.appTransactions).map(([k, v]): Cell[] => [`txn ${k}`, v]),
  ]));
  io.out('');
  io.out(formatTable(['column', 'type', 'nullable', 'partition'], snapshot.schema.fields.map((f) => [f.name, f.type, f.nullable ? 'yes' : 'no', snapshot.partitionColumns.includes(f.name) ? 'yes' : ''])));
  return 0;
}

export async function historyAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const limit = intFlag(flags, 'limit', 'a positive number of entries', 1);
  const history = await (await open(path, flags)).history(limit);
  if (flags.json === true) {
    io.out(stringify(history.map((h) => ({ version: h.version, timestamp: new Date(h.timestamp).toISOString(), operation: h.operation ?? null, operationParameters: h.operationParameters, operationMetrics: h.commitInfo.operationMetrics ?? null, engineInfo: h.commitInfo.engineInfo ?? null }))));
    return 0;
  }
  io.out(formatTable(['version', 'timestamp', 'operation', 'parameters'], history.map((h) => [
    h.version, new Date(h.timestamp).toISOString(), h.operation ?? '', compactParameters(h.operationParameters),
  ])));
  return 0;
}

function compactParameters(p: Readonly<Record<string, unknown>>): string {
  return Object.entries(p)
    .filter(([k]) => k !== 'metadata' && k !== 'protocol')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
    .slice(0, 100);
}

export async function showAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const version = intFlag(flags, 'version', 'a table version (0, 1, …)');
  const timestamp = timestampFlag(flags, 'timestamp');
  if (version !== undefined && timestamp !== undefined) throw new UsageError('give --version or --timestamp, not both');
  const limit = intFlag(flags, 'limit', 'a positive number of rows', 1) ?? (flags.json === true ? undefined : 20);
  const where = whereFlag(flags);
  const columns = listFlag(flags, 'columns', 'comma-separated column names');
  const table = await open(path, flags);
  const snapshot = await table.snapshot(version !== undefined ? { version } : timestamp !== undefined ? { timestamp } : {});
  const rows = await table.read({ version: snapshot.version, where, columns });
  const shown = limit === undefined ? rows : rows.slice(0, limit);
  const names = columns ?? snapshot.schema.fields.map((f) => f.name);
  const types = typesOf(snapshot.schema);
  if (flags.json === true) {
    io.out(stringify({ table: path, version: snapshot.version, rows: shown.map((r) => Object.fromEntries(names.map((c) => [c, jsonValue(types.get(c), r[c])]))), total: rows.length }));
    return 0;
  }
  printRows(io, shown, names, types);
  io.out(`\n${formatNumber(shown.length)} of ${formatNumber(rows.length)} rows, version ${snapshot.version}${shown.length < rows.length ? ' (--limit N to show more)' : ''}`);
  return 0;
}

export async function changesAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const from = intFlag(flags, 'from', 'a table version (0, 1, …)');
  if (from === undefined) throw new UsageError('riffle table changes: --from V is required', { hint: 'usage: riffle table changes <table> --from V [--to V]' });
  const to = intFlag(flags, 'to', 'a table version (0, 1, …)');
  if (to !== undefined && to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  const table = await open(path, flags);
  const changes = await table.changes({ startingVersion: from, endingVersion: to });
  const schema = await table.schema();
  const types = typesOf(schema, { _change_type: 'string', _commit_version: 'long', _commit_timestamp: 'timestamp' });
  const names = ['_commit_version', '_change_type', ...schema.fields.map((f) => f.name), '_commit_timestamp'];
  if (flags.json === true) {
    io.out(stringify({ table: path, from, to: to ?? null, changes: changes.map((r) => Object.fromEntries(names.map((c) => [c, jsonValue(types.get(c), r[c])]))) }));
    return 0;
  }
  printRows(io, changes, names, types);
  io.out(`\n${formatNumber(changes.length)} changes`);
  return 0;
}
