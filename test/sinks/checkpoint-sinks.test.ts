// The built-in batch sinks under checkpoints, through `riffle run --checkpoint-dir … --checkpoint-interval …`:
// SIGKILLed once a checkpoint is complete (its files prepared, its Delta version committed), then `--resume` —
// the JSON Lines files and the Delta table hold exactly what an uninterrupted run writes (nothing lost, nothing twice),
// no file of the killed attempt appears under a final name, and the table has one version per checkpoint plus the last.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable } from '../../src/lakehouse/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'riffle-ckpt-sinks-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the fixture; with `killWhen`, SIGKILLs it as soon as that returns true (polled every 20 ms). */
function run(args: readonly string[], killWhen?: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'test/sinks/fixtures/checkpoint-sinks-pipeline.ts', '--no-progress', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = killWhen === undefined ? undefined : setInterval(() => {
      if (killWhen()) child.kill('SIGKILL');
    }, 20);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (poll !== undefined) clearInterval(poll);
      done({ code, signal, stderr });
    });
  });
}

const completeCheckpoints = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, '_metadata'))).length : 0);

function fileLines(out: string, sub = 'files'): string[] {
  const dir = join(out, sub);
  const lines: string[] = [];
  for (const f of readdirSync(dir)) {
    if (f.startsWith('.') || f === '_SUCCESS') continue;
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l !== '') lines.push(sub === 'files' ? l : `${f.replace(/-\d{5}-of-\d{5}\.jsonl$/, '')} ${l}`);
  }
  return lines.sort();
}

async function tableRows(out: string, name = 'table'): Promise<string[]> {
  const t = await DeltaTable.open(join(out, name));
  return (await t.read()).map((r) => `${String(r.key)} ${String(r.value)} ${String(r.n)}`).sort();
}

test('file and Delta sinks: SIGKILL after a checkpoint, --resume: the output of an uninterrupted run', async () => {
  const events = ['--events=2400', '--batch=40', '--delayMs=15'];
  const ref = await run([`--output=${join(work, 'ref')}`, ...events]);
  assert.equal(ref.code, 0, ref.stderr);
  const wantLines = fileLines(join(work, 'ref'));
  const wantRows = await tableRows(join(work, 'ref'));
  const wantWindowed = fileLines(join(work, 'ref'), 'windowed');
  const wantPaneRows = await tableRows(join(work, 'ref'), 'wtable');
  assert.equal(wantPaneRows.length, 2400);
  assert.equal(wantWindowed.length, 2400);
  assert.equal(wantLines.length, 2400);
  assert.equal(wantRows.length, 2400);

  const out = join(work, 'job');
  const ck = join(work, 'ck');
  const args = [`--output=${out}`, ...events, '--checkpoint-dir', ck, '--checkpoint-interval', '100ms'];
  const killed = await run(args, () => completeCheckpoints(ck) >= 2);
  assert.equal(killed.signal, 'SIGKILL', `the run ended before the kill: ${killed.stderr}`);
  // Killed: nothing of the files published (the batch commit is at the end), some Delta versions committed.
  assert.deepEqual(existsSync(join(out, 'files')) ? readdirSync(join(out, 'files')).filter((f) => !f.startsWith('.')) : [], []);
  const resumed = await run([...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(fileLines(out), wantLines);
  assert.deepEqual(fileLines(out, 'windowed'), wantWindowed);
  assert.deepEqual(await tableRows(out, 'wtable'), wantPaneRows);
  assert.deepEqual(await tableRows(out), wantRows);
  // One commit per checkpoint that had rows, then the final one. (Files the killed attempt staged after its last
  // checkpoint are unreferenced orphans — no abort ran — which vacuum removes.)
  const t = await DeltaTable.open(join(out, 'table'));
  const history = (await t.history()).map((h) => h.operation);
  assert.ok(history.filter((o) => o === 'STREAMING UPDATE').length >= 1, history.join(', '));
  assert.equal(history.filter((o) => o === 'WRITE').length, 1, history.join(', '));
  const left = existsSync(join(out, 'files', '.riffle-prepared')) ? readdirSync(join(out, 'files', '.riffle-prepared'), { recursive: true }) : [];
  assert.deepEqual(left, [], 'the prepared dir is removed once published');
});
