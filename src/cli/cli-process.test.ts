// `riffle` as a process: stdout closed early (piped into head), --json owning stdout (logs and errors included),
// colours, ISO times in DAG JSON, and the project file's defaults (file < environment < flag).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'src/cli/main.ts');
const work = mkdtempSync(join(tmpdir(), 'riffle-cli-process-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `riffle args` in `cwd`; with `closeAfter`, stdout is closed (as `head -c N` does) once that many bytes came.
 * No inherited RIFFLE_*, NO_COLOR or FORCE_COLOR: each test sets what it means.
 */
function riffle(args: string[], o: { cwd?: string; env?: Record<string, string>; closeAfter?: number; nodeArgs?: string[] } = {}): Promise<Outcome> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RIFFLE_|NO_COLOR$|FORCE_COLOR$)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', import.meta.resolve('tsx'), main, ...args], { cwd: o.cwd ?? root, env: { ...env, ...o.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (o.closeAfter !== undefined && stdout.length >= o.closeAfter) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const table = join(work, 'big');
const dags = join(work, 'dags');

before(async () => {
  const csv = join(work, 'big.csv');
  writeFileSync(csv, `id,name\n${Array.from({ length: 30_000 }, (_, i) => `${i},name-${i}`).join('\n')}\n`);
  const w = await riffle(['table', 'write', table, '--from', csv]);
  assert.equal(w.code, 0, w.stderr);
  mkdirSync(dags);
  writeFileSync(join(dags, 'package.json'), '{"type":"module"}');
  const index = JSON.stringify(new URL('../orchestrator/index.ts', import.meta.url).href);
  writeFileSync(join(dags, 'hello.ts'), `import { dag } from ${index};
export const hello = dag({ id: 'hello', schedule: '@daily', startDate: '2024-01-01' });
hello.task('say', () => { console.log('chatty task'); return 'hi'; });
`);
});

describe('riffle as a process', { concurrency: 4 }, () => {
  for (const [what, args, closeAfter] of [
    ['table show piped into head -1', () => ['table', 'show', table, '--limit', '30000'], 20],
    ['table show --json piped into head -c 10', () => ['table', 'show', table, '--json'], 10],
    ['dag list --json piped into head -c 10', () => ['dag', 'list', '--dags', dags, '--store', join(work, 'no-store'), '--json'], 10],
    ['completion bash piped into head -1', () => ['completion', 'bash'], 5],
  ] as const) {
    it(`stops quietly when stdout is closed: ${what}`, async () => {
      const r = await riffle([...args()], { closeAfter });
      assert.equal(r.stderr, '', 'no EPIPE text');
      assert.equal(r.code, 0);
    });
  }

  it('help loads the command definitions only: no model, engine, lakehouse, orchestrator or quality module', async () => {
    // A resolve hook (in its own thread) records every module the process loads.
    const trace = join(work, 'modules.txt');
    writeFileSync(join(work, 'trace-hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(${JSON.stringify(trace)}, r.url + '\\n'); return r; }`);
    writeFileSync(join(work, 'trace.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(work, 'trace-hooks.mjs')).href)});`);
    for (const args of [['--help'], ['run', '--help'], ['dag', 'runs', '--help'], ['table', 'show', '--help'], ['completion', 'bash']]) {
      writeFileSync(trace, '');
      const r = await riffle(args, { nodeArgs: ['--import', join(work, 'trace.mjs')] });
      assert.equal(r.code, 0, r.stderr);
      const loaded = readFileSync(trace, 'utf8').split('\n').filter((u) => u.startsWith('file:') && !/node_modules\/(tsx|get-tsconfig|esbuild|resolve-pkg-maps)\//.test(u));
      const outside = loaded.filter((u) => !/\/src\/cli\/[\w-]+\.ts$/.test(u) && !/node_modules\/commander\//.test(u) && !u.endsWith('trace.mjs'));
      assert.deepEqual(outside, [], `riffle ${args.join(' ')}`);
      assert.ok(loaded.some((u) => u.endsWith('/src/cli/command-kit.ts')), 'the trace works');
    }
  });

  it('riffle run examples/batch-etl.ts --json: stdout is one JSON document although the pipeline prints tables', async () => {
    const r = await riffle(['run', 'examples/batch-etl.ts', `--output=${join(work, 'batch-etl')}`, '--json', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { state: string; metrics: unknown };
    assert.equal(doc.state, 'DONE');
    assert.match(r.stderr, /Country metrics/, "the pipeline's own output went to stderr");
  });

  it('--json owns stdout for every command: a DAG task that logs under dag test --json', async () => {
    const r = await riffle(['dag', 'test', 'hello', '2024-01-01', '--dags', dags, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { run: { state: string; logicalDate: string } };
    assert.deepEqual([doc.run.state, doc.run.logicalDate], ['success', '2024-01-01T00:00:00.000Z']);
    assert.match(r.stderr, /chatty task/);
  });

  it('errors under --json are one JSON document on stdout, with the same exit codes, and the message on stderr', async () => {
    const missing = await riffle(['table', 'show', join(work, 'nope'), '--json']);
    assert.equal(missing.code, 1);
    const doc = JSON.parse(missing.stdout) as { error: { code: string; message: string; hint: string | null } };
    assert.equal(doc.error.code, 'DELTA_TABLE_NOT_FOUND');
    assert.match(doc.error.message, /is not a Delta table/);
    assert.doesNotMatch(doc.error.message, /hint:/);
    assert.match(missing.stderr, /^error: .*is not a Delta table/m);
    const usage = await riffle(['dag', 'runs', '--json']);
    assert.equal(usage.code, 2);
    assert.deepEqual(Object.keys(JSON.parse(usage.stdout) as object), ['error']);
    assert.equal((JSON.parse(usage.stdout) as { error: { code: string } }).error.code, 'USAGE');
    const typo = await riffle(['tabel', '--json']);
    assert.equal(typo.code, 2);
    assert.match((JSON.parse(typo.stdout) as { error: { hint: string } }).error.hint, /did you mean 'table'/);
  });

  it('colours errors only when asked (FORCE_COLOR) and never with NO_COLOR or into a pipe', async () => {
    const plain = await riffle(['tabel']);
    assert.match(plain.stderr, /^error: unknown command 'tabel'/);
    const forced = await riffle(['tabel'], { env: { FORCE_COLOR: '1' } });
    assert.ok(forced.stderr.startsWith('\u001b[31m\u001b[1merror:\u001b[22m\u001b[39m unknown command'), forced.stderr);
    const off = await riffle(['tabel'], { env: { NO_COLOR: '1' } });
    assert.ok(!off.stderr.includes('\u001b['), off.stderr);
  });

  it('prints DAG times as ISO-8601 strings in JSON (the store keeps milliseconds)', async () => {
    const store = join(work, 'iso-store');
    const t = await riffle(['dag', 'trigger', 'hello', '--logical-date', '2024-01-05', '--dags', dags, '--store', store, '--json']);
    assert.equal(t.code, 0, t.stderr);
    const run = (JSON.parse(t.stdout) as { run: Record<string, unknown> }).run;
    assert.equal(run.logicalDate, '2024-01-05T00:00:00.000Z');
    assert.match(String(run.queuedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const runs = JSON.parse((await riffle(['dag', 'runs', 'hello', '--dags', dags, '--store', store, '--json'])).stdout) as { runs: Array<Record<string, unknown>> };
    assert.equal(runs.runs[0]!.dataIntervalStart, '2024-01-05T00:00:00.000Z');
    assert.equal(runs.runs[0]!.startDate, null);
  });
});

describe('the project file (riffle.config.*): file < environment < flag', { concurrency: 2 }, () => {
  const explain = ['run', join(root, 'src/cli/fixtures/word-lengths.ts'), '--words=a', '--weight=1', '--explain', '--json'];
  const options = (r: Outcome) => {
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { runOptions: Record<string, unknown> }).runOptions;
  };

  it('riffle run: workers and memory from the file found upward, then $RIFFLE_WORKERS/$RIFFLE_MEMORY, then the flags', async () => {
    const project = join(work, 'project');
    const nested = join(project, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(project, 'riffle.config.yaml'), 'workers: 2\nmemory: 64m\ncheckpointDir: ckpt\n');
    assert.deepEqual(options(await riffle(explain, { cwd: nested })), { workers: 2, memoryBytes: 64 * 1024 ** 2, checkpointDir: join(project, 'ckpt') });
    assert.deepEqual(options(await riffle(explain, { cwd: nested, env: { RIFFLE_WORKERS: '3', RIFFLE_MEMORY: '1g' } })), { workers: 3, memoryBytes: 1024 ** 3, checkpointDir: join(project, 'ckpt') });
    assert.deepEqual(options(await riffle([...explain, '--workers', '5', '--memory', '512k'], { cwd: nested, env: { RIFFLE_WORKERS: '3' } })), { workers: 5, memoryBytes: 512 * 1024, checkpointDir: join(project, 'ckpt') });
    const other = join(work, 'other.json');
    writeFileSync(other, '{ "workers": 7 }');
    assert.deepEqual(options(await riffle([...explain, '--config', other], { cwd: nested })), { workers: 7 }, '--config picks another file');
  });

  it('riffle run: a bad --workers or --memory is a usage error before any work', async () => {
    for (const [flag, value, message] of [['--workers', '0', /--workers must be a whole number from 1 to 1024, got '0'/], ['--memory', 'lots', /--memory must be a size such as 512k, 64m or 1g/]] as const) {
      const r = await riffle([...explain.filter((a) => a !== '--json'), flag, value]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  it('riffle dag: the store from the file, then $RIFFLE_STORE, then --store', async () => {
    const project = join(work, 'dag-project');
    mkdirSync(project);
    writeFileSync(join(project, 'riffle.config.json'), JSON.stringify({ store: 'from-file', dags }));
    const where = async (args: string[], env: Record<string, string> = {}) => (await riffle(['dag', 'runs', 'hello', ...args], { cwd: project, env })).stderr;
    assert.match(await where([]), new RegExp(`no metadata store at ${join(project, 'from-file')}`));
    assert.match(await where([], { RIFFLE_STORE: 'from-env' }), /no metadata store at from-env/);
    assert.match(await where(['--store', 'from-flag'], { RIFFLE_STORE: 'from-env' }), /no metadata store at from-flag/);
    const shown = await riffle(['config', 'show', '--json'], { cwd: project, env: { RIFFLE_STORE: 'from-env' } });
    assert.deepEqual(JSON.parse(shown.stdout), {
      file: join(project, 'riffle.config.json'),
      values: { store: 'from-env', dags },
      sources: { store: '$RIFFLE_STORE', dags: join(project, 'riffle.config.json') },
    });
  });

  it('a bad project file is refused naming file:line:key with did-you-mean (exit 2), a .ts file is loaded', async () => {
    const bad = join(work, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'riffle.config.yaml'), 'workers: 2\nstroe: x\nmemory: lots\n');
    const r = await riffle(['dag', 'list', '--dags', dags], { cwd: bad });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /riffle\.config\.yaml:2:1: stroe: unknown key `stroe` \(did you mean `store`\?\)/);
    assert.match(r.stderr, /riffle\.config\.yaml:3:9: memory: expected a size such as 512k, 64m or 1g/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    const ts = join(work, 'ts-project');
    mkdirSync(ts);
    writeFileSync(join(ts, 'riffle.config.ts'), 'const workers: number = 6;\nexport default { workers };\n');
    assert.deepEqual(options(await riffle(explain, { cwd: ts })), { workers: 6 });
  });
});
