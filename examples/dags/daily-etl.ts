/**
 * The daily ETL of the Airflow DAG patterns, in Riffle: wait for the day's file, validate it against an error-rate
 * threshold, branch on volume, join the branches (one_success), aggregate with a Riffle pipeline, run quality checks
 * in a task group, write a summary and a metric, and clean up whatever happened (all_done).
 *
 *   node --import tsx src/cli/main.ts dag test daily-etl 2024-01-01 --dags examples/dags
 *
 * Params (override with --name=value): landing (where files arrive), workDir, errorRateThreshold, bigVolume.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dag, failWithoutRetry, fileSensor, pipeline } from '../../src/orchestrator/index.ts';

export const dailyEtl = dag({
  id: 'daily-etl',
  description: 'Validate, load, aggregate and check the daily events file',
  schedule: '0 6 * * *',
  startDate: '2024-01-01',
  catchup: false,
  maxActiveRuns: 1,
  tags: ['etl', 'example'],
  defaultArgs: { retries: 2, retryDelay: '30s', retryExponentialBackoff: true, maxRetryDelay: '10m', executionTimeout: '10m' },
  params: { landing: 'examples/data', workDir: '.riffle/daily-etl', errorRateThreshold: 0.05, bigVolume: 1000 },
});

const FIELDS = 6;
const MONEY = /^-?\d+\.\d\d$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

interface Stats {
  file: string;
  rows: number;
  invalid: number;
  errorRate: number;
}

const waitForFile = dailyEtl.sensor('wait_for_file', fileSensor({ path: '{{ params.landing }}/events*.csv', pokeInterval: '5s', timeout: '1h' }));

const validate = dailyEtl.task('validate', { inputs: { files: waitForFile } }, ({ inputs, params, log }): Stats => {
  const file = inputs.files[0]!;
  const lines = readFileSync(file, 'utf8').split('\n').slice(1).filter((l) => l !== '');
  const invalid = lines.filter((l) => {
    const f = l.split(',');
    return l.includes('"') || f.length !== FIELDS || !MONEY.test(f[4]!) || !ISO.test(f[5]!);
  }).length;
  const errorRate = lines.length === 0 ? 0 : invalid / lines.length;
  log(`${file}: ${lines.length} rows, ${invalid} invalid (${(errorRate * 100).toFixed(2)}%)`);
  // Bad data does not get better with a retry: fail now and say why.
  if (errorRate > (params.errorRateThreshold as number)) failWithoutRetry(`error rate ${(errorRate * 100).toFixed(2)}% is above the threshold of ${(params.errorRateThreshold as number) * 100}%`);
  return { file, rows: lines.length - invalid, invalid, errorRate };
});

const choosePath = dailyEtl.branch('choose_path', { inputs: { stats: validate } }, ({ inputs, params }) =>
  inputs.stats.rows > (params.bigVolume as number) ? 'load_in_chunks' : 'load_direct');

const cleanRows = (file: string) =>
  readFileSync(file, 'utf8').split('\n').slice(1).filter((l) => l !== '' && !l.includes('"') && l.split(',').length === FIELDS);

const loadDirect = dailyEtl.task('load_direct', { inputs: { stats: validate } }, ({ inputs, params, ds }) => {
  const dir = join(params.workDir as string, ds);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'clean.csv'), cleanRows(inputs.stats.file).join('\n') + '\n');
  return { path: join(dir, 'clean.csv'), chunks: 1 };
});

const loadInChunks = dailyEtl.task('load_in_chunks', { inputs: { stats: validate } }, ({ inputs, params, ds }) => {
  const dir = join(params.workDir as string, ds);
  mkdirSync(dir, { recursive: true });
  const rows = cleanRows(inputs.stats.file);
  const size = 500;
  for (let i = 0; i * size < rows.length; i++) writeFileSync(join(dir, `clean-${i}.csv`), rows.slice(i * size, (i + 1) * size).join('\n') + '\n');
  return { path: join(dir, 'clean-*.csv'), chunks: Math.ceil(rows.length / size) };
});

const join_ = dailyEtl.task('join', { triggerRule: 'one_success' }, () => 'loaded');

const aggregate = dailyEtl.task('aggregate', pipeline({ module: 'examples/quickstart.ts', params: { input: '{{ params.landing }}/events.csv', output: '{{ params.workDir }}/{{ ds }}/aggregates' } }));

const checks = dailyEtl.group('checks', (g) => {
  g.task('row_count', { inputs: { stats: validate } }, ({ inputs }) => {
    if (inputs.stats.rows === 0) failWithoutRetry('no valid rows');
    return inputs.stats.rows;
  });
  g.task('only_refunds_negative', { inputs: { stats: validate } }, ({ inputs }) => {
    const bad = cleanRows(inputs.stats.file).filter((l) => Number(l.split(',')[4]) < 0 && l.split(',')[3] !== 'refund').length;
    if (bad > 0) failWithoutRetry(`${bad} rows with negative revenue that are not refunds`);
    return 0;
  });
  g.task('aggregates_written', { inputs: { run: aggregate } }, ({ inputs }) => {
    if (inputs.run.deadLetters > 0) throw new Error(`${inputs.run.deadLetters} records went to the dead-letter output`);
    return inputs.run.state;
  });
});

const summary = dailyEtl.task('summary', { inputs: { stats: validate } }, ({ inputs, params, ds, log }) => {
  const metric = { ds, rows: inputs.stats.rows, invalid: inputs.stats.invalid, errorRate: Number(inputs.stats.errorRate.toFixed(4)) };
  mkdirSync(join(params.workDir as string, ds), { recursive: true });
  writeFileSync(join(params.workDir as string, ds, 'metrics.json'), JSON.stringify(metric));
  log(`summary: ${JSON.stringify(metric)}`);
  return metric;
});

const cleanup = dailyEtl.task('cleanup', { triggerRule: 'all_done' }, ({ params, ds }) => {
  rmSync(join(params.workDir as string, ds, 'tmp'), { recursive: true, force: true });
  return 'clean';
});

waitForFile.then(validate).then(choosePath).then([loadDirect, loadInChunks]);
loadDirect.then(join_);
loadInChunks.then(join_);
join_.then(aggregate).then(checks).then(summary).then(cleanup);
