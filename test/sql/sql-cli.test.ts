// `riffle sql` as a process: one query over files and a Delta table (--json, --csv, table), bad queries (exit 1, the
// position, no stack trace; under --json one error document), statements from stdin, and the REPL on a terminal
// (through `script`, which gives it a pseudo-terminal) with its history file.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DeltaTable } from '../../src/lakehouse/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'src/cli/main.ts');
const work = mkdtempSync(join(tmpdir(), 'riffle-sql-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Outcome { code: number | null; stdout: string; stderr: string }

function riffle(args: string[], o: { stdin?: string; env?: Record<string, string> } = {}): Promise<Outcome> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RIFFLE_|NO_COLOR$|FORCE_COLOR$)/.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], { cwd: work, env: { ...env, NO_COLOR: '1', ...o.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

before(async () => {
  writeFileSync(join(work, 'orders.csv'), 'id,country,amount\n1,fr,10.5\n2,de,20\n3,fr,\n');
  writeFileSync(join(work, 'more.jsonl'), '{"id":4,"country":"it","amount":1}\n');
  const t = await DeltaTable.create(join(work, 'tables/orders'), { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
  await t.append([{ id: 1, country: 'fr', amount: 10.5 }, { id: 2, country: 'de', amount: 20 }, { id: 3, country: 'fr', amount: null }]);
});

describe('riffle sql "<query>"', { concurrency: true }, () => {
  it('--json prints the rows as one array of objects', async () => {
    const r = await riffle(['sql', "SELECT id, country, amount FROM read_csv('orders.csv') UNION ALL SELECT * FROM read_json('more.jsonl') ORDER BY id", '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      { id: 1, country: 'fr', amount: 10.5 }, { id: 2, country: 'de', amount: 20 }, { id: 3, country: 'fr', amount: null }, { id: 4, country: 'it', amount: 1 },
    ]);
  });

  it('reads a Delta table, pruned by partition (--stats counts the files), as CSV', async () => {
    const r = await riffle(['sql', "SELECT id, amount FROM delta('tables/orders') WHERE country = 'fr' ORDER BY id", '--csv', '--stats']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'id,amount\n1,10.5\n3,\n');
    assert.match(r.stderr, /delta\('tables\/orders'\) version \d+: read 1 of 2 files/);
  });

  it('a syntax error exits 1 with line:column and a caret, no stack trace; --json gets one error document', async () => {
    const r = await riffle(['sql', 'SELECT id,\n  FROM FROM x']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: syntax error: at or near "FROM" \(at line 2, column 8\)\n {2} {2}FROM FROM x\n {9}\^/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const j = await riffle(['sql', "SELECT nme FROM read_csv('orders.csv')", '--json']);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout) as { error: { code: string; message: string; hint: string } };
    assert.equal(doc.error.code, 'SQL_UNKNOWN_COLUMN');
    assert.match(doc.error.message, /line 1, column 8/);
    assert.match(doc.error.hint, /did you mean '/);
  });

  it('runs the statements of stdin (dot commands too) and exits 1 when one failed', async () => {
    const r = await riffle(['sql', '--format', 'csv'], { stdin: "CREATE TABLE t AS\n  SELECT 42 AS x;\n.tables\nSELECT x FROM t;\nSELECT nope FROM t;\nSELECT 1 AS y;\n" });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Count\n1\nt\nx\n42\ny\n1\n');
    assert.match(r.stderr, /Referenced column "nope" not found/);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('riffle sql REPL on a terminal', { skip: hasScript ? false : 'util-linux script is not installed' }, () => {
  it('prompts, runs statements over several lines, keeps history in the history file, .exit quits', async () => {
    const history = join(work, 'history');
    writeFileSync(history, 'SELECT 0 AS earlier;\n');
    const command = `${process.execPath} --import ${import.meta.resolve('tsx')} ${main} sql`;
    const out = await new Promise<string>((resolve, reject) => {
      // script gives the REPL a pseudo-terminal; its own input is fed slowly so the REPL sees lines as typed.
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work, env: { ...process.env, RIFFLE_SQL_HISTORY: history, NO_COLOR: '1', TERM: 'dumb' } });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      const lines = ['SELECT 6 *', '  7 AS answer;', 'SELECT oops', '\x03', '.tables', '.exit'];
      let sent = 0;
      const timer = setInterval(() => {
        if (!text.includes('riffle>') && sent === 0) return;
        if (sent < lines.length) {
          const line = lines[sent++];
          child.stdin.write(line === '\x03' ? line : `${line}\r`);
        }
      }, 400);
      const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', () => { clearInterval(timer); clearTimeout(kill); resolve(text); });
    });
    assert.match(out, /riffle> /);
    assert.match(out, /answer\s*\r?\n-+\s*\r?\n\s*42/);
    assert.match(out, /\^C/); // the unfinished 'SELECT oops' was dropped, not run
    assert.doesNotMatch(out, /oops.*not found|Referenced column "oops"/);
    assert.match(out, /\(no tables\)/);
    assert.ok(existsSync(history));
    assert.deepEqual(readFileSync(history, 'utf8').trim().split('\n'), ['SELECT 0 AS earlier;', 'SELECT 6 * 7 AS answer;', '.tables', '.exit']);
  });
});
