/**
 * Dynamic DAGs from config: one module generates a DAG per entry of a config list (here inline; a YAML or JSON file
 * read at import works the same). Each DAG gets its own id, schedule, params and tags; the loader picks up every
 * DAG in the exported array. Within each DAG, `ingest` is mapped over the config's tables (dynamic task mapping).
 *
 *   node --import tsx src/cli/main.ts dag list --dags examples/dags
 *   node --import tsx src/cli/main.ts dag test ingest-orders 2024-01-01 --dags examples/dags
 */
import { dag, type Dag } from '../../src/orchestrator/index.ts';

interface SourceConfig {
  name: string;
  schedule: string;
  tables: string[];
  owner: string;
}

export const SOURCES: readonly SourceConfig[] = [
  { name: 'orders', schedule: '@hourly', tables: ['orders', 'order_lines'], owner: 'sales' },
  { name: 'customers', schedule: '@daily', tables: ['customers'], owner: 'crm' },
  { name: 'inventory', schedule: '0 */6 * * *', tables: ['stock', 'warehouses', 'movements'], owner: 'ops' },
];

function ingestDag(source: SourceConfig): Dag {
  const d = dag({
    id: `ingest-${source.name}`,
    description: `Ingest the ${source.name} source (${source.tables.length} tables), generated from config`,
    schedule: source.schedule,
    startDate: '2024-01-01',
    tags: ['generated', source.owner],
    defaultArgs: { retries: 2, retryDelay: '1m' },
    params: { source: source.name },
  });
  const tables = d.task('list_tables', () => [...source.tables]);
  const ingested = d.task('ingest', { expand: { table: tables } }, ({ inputs, params, ds, log }) => {
    log(`ingesting ${String(params.source)}.${inputs.table} for ${ds}`);
    return { table: inputs.table, rows: inputs.table.length * 100 };
  });
  d.task('publish', { inputs: { ingested } }, ({ inputs }) => ({ tables: inputs.ingested.length, rows: inputs.ingested.reduce((n, t) => n + t.rows, 0) }));
  return d;
}

export const ingestDags = SOURCES.map(ingestDag);
