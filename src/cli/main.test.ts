// End-to-end tests of the `riffle` command: each spawns `node --import tsx src/cli/main.ts ...` on a fixture module.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => `src/cli/fixtures/${name}.ts`;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function riffle(args: string[], opts: { env?: Record<string, string>; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, RIFFLE_DEBUG: '', RIFFLE_DEAD_LETTER_DIR: '', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    // No test may hang: a child still running after 60 s is killed (and its outcome then fails the test).
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', () => clearTimeout(timer));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const good = ['--words=a,bb,cc,ddd,e', '--weight=0.5'];

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-cli-'));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

// A few at a time: each child compiles TypeScript on start, and too many at once starve each other.
describe('riffle (command line)', { concurrency: 4 }, () => {
  it('prints help and the version', async () => {
    const help = await riffle(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}run \[options\] \[pipeline\] +build and run a pipeline module/m);
    const runHelp = await riffle(['run', '--help']);
    assert.match(runHelp.stdout, /^Usage: riffle run <pipeline\.ts> \[--param=value \.\.\.\] \[options\]$/m);
    assert.match(runHelp.stdout, /--explain/);
    const withParams = await riffle(['run', fixture('word-lengths'), '--help']);
    assert.match(withParams.stdout, /--explain[^]*^minLength +integer +1 +shortest word counted$/m, 'after a module path, its parameters too');
    const version = await riffle(['version']);
    assert.match(version.stdout, /^riffle \d+\.\d+\.\d+/);
  });

  it('rejects an unknown command with exit code 2', async () => {
    const r = await riffle(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: unknown command 'frobnicate'/);
  });

  it('says when the module does not exist', async () => {
    const r = await riffle(['run', 'src/cli/fixtures/missing.ts']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no pipeline module at 'src\/cli\/fixtures\/missing\.ts'/);
  });

  it('runs a pipeline and prints step metrics, user metrics and dead letters as tables', async () => {
    const r = await riffle(['run', fixture('word-lengths'), ...good, '--min-length', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /word-lengths\.ts: DONE in /);
    assert.match(r.stdout, /^step +kind +in +out +dropped late +errors$/m);
    assert.match(r.stdout, /^KeepLong +parDo +5 +3 +0 +0$/m);
    assert.match(r.stdout, /^KeepLong\/tooShort +2$/m);
    assert.match(r.stdout, /^distribution +count +sum +min +max +mean$/m);
    assert.match(r.stdout, /^KeepLong\/wordLength +5 +9 +1 +3 +1\.8$/m);
    assert.match(r.stdout, /^KeepLong\/weight +0\.5$/m);
    assert.match(r.stdout, /^dead letters: 0$/m);
    assert.doesNotMatch(r.stdout, /\r/);
  });

  it('prints one JSON document with --json', async () => {
    const r = await riffle(['run', fixture('word-lengths'), ...good, '--upper', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { state: string; durationMs: number; metrics: { steps: Array<{ step: string; elementsIn: number }> }; deadLetters: { count: number; first: unknown[] } };
    assert.equal(doc.state, 'DONE');
    assert.equal(typeof doc.durationMs, 'number');
    assert.equal(doc.metrics.steps.find((s) => s.step === 'KeepLong')?.elementsIn, 5);
    assert.deepEqual(doc.deadLetters, { count: 0, first: [], path: null });
  });

  it('prints the fused plan with --explain instead of running', async () => {
    const r = await riffle(['run', fixture('word-lengths'), ...good, '--explain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stage .*KeepLong/m);
    assert.doesNotMatch(r.stdout, /DONE/);
  });

  for (const [what, args, message] of [
    ['an unknown parameter', [...good, '--colour=red'], /unknown parameter --colour/],
    ['a missing parameter', ['--weight=1'], /missing parameter --words=<string>/],
    ['a mistyped parameter', [...good, '--min-length=two'], /parameter --minLength: expected an integer, got 'two'/],
    ['a stray argument', [...good, 'extra'], /unexpected argument 'extra'/],
  ] as const) {
    it(`fails with exit code 2 and lists the expected parameters on ${what}`, async () => {
      const r = await riffle(['run', fixture('word-lengths'), ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      if (what !== 'a stray argument') assert.match(r.stderr, /hint: this pipeline takes: --words=<string> --minLength=<integer> \(default 1\) --upper=<boolean> \(default false\) --weight=<number>/);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }

  it('reports parameter errors as JSON too with --json', async () => {
    const r = await riffle(['run', fixture('word-lengths'), '--json']);
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as { state: string; error: { code: string; message: string; hint: string } };
    assert.equal(doc.state, 'INVALID');
    assert.equal(doc.error.code, 'CONFIG_INVALID');
    assert.match(doc.error.message, /^missing parameters --words=<string>, --weight=<number>$/);
    assert.match(doc.error.hint, /this pipeline takes/);
  });

  it('explains how to write a pipeline module when the default export is not a definition', async () => {
    const r = await riffle(['run', fixture('not-a-definition')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a pipeline module \(its default export is a Pipeline, not a definition\)/);
    assert.match(r.stderr, /export default Pipeline\.define\(\{ params: \{ \.\.\. \} \}, \(p, params\) => \{ \.\.\. \}\)/);
  });

  it('fails with exit code 1 and names the step when a step throws', async () => {
    const r = await riffle(['run', fixture('failing-step')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: step 'ExplodeOnTwo' failed on element 2: two is not allowed/);
    assert.match(r.stderr, /hint: /);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without RIFFLE_DEBUG');
    const debug = await riffle(['run', fixture('failing-step')], { env: { RIFFLE_DEBUG: '1' } });
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /^\s+at /m, 'a stack trace with RIFFLE_DEBUG=1');
  });

  it('shows the dead-letter count and the first few, and writes them all to riffle-dead-letters/ by default', async () => {
    const r = await riffle(['run', fixture('dead-letters')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dead letters: 6$/m);
    assert.match(r.stdout, /^ParseJson +.*JSON.*"\{\\"n\\":1\} oops"$/m);
    assert.match(r.stdout, /… and 1 more \(all in riffle-dead-letters\/dead-letters-\d{8}T\d{6}Z-[0-9a-f]{6}\.jsonl\)/);
    const warning = /^warning: 6 records were rejected \('ParseJson'\) and written to (riffle-dead-letters\/dead-letters-\S+\.jsonl);/m.exec(r.stderr);
    assert.ok(warning, r.stderr);
    const file = join(root, warning[1]!);
    try {
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { step: string; error: string; element: unknown; time: string });
      assert.equal(lines.length, 6);
      assert.deepEqual(lines.map((l) => l.element), [1, 2, 4, 5, 7, 8].map((n) => `{"n":${n}} oops`));
      for (const l of lines) assert.ok(l.step === 'ParseJson' && /JSON/.test(l.error) && !Number.isNaN(Date.parse(l.time)));
    } finally {
      rmSync(file, { force: true });
    }
    const out = tempDir();
    const json = await riffle(['run', fixture('dead-letters'), '--json', '--dead-letter', join(out, 'rejected.jsonl')]);
    const doc = JSON.parse(json.stdout) as { deadLetters: { count: number; path: string; first: Array<{ step: string; element: unknown }> } };
    assert.equal(doc.deadLetters.count, 6);
    assert.equal(doc.deadLetters.path, join(out, 'rejected.jsonl'));
    assert.equal(readFileSync(join(out, 'rejected.jsonl'), 'utf8').trimEnd().split('\n').length, 6);
    assert.deepEqual(doc.deadLetters.first[0], { ...doc.deadLetters.first[0], step: 'ParseJson', element: '{"n":1} oops' });
  });

  it('writes records a source rejects with their origin, and creates no file when nothing is rejected', async () => {
    const dir = tempDir();
    const input = join(dir, 'events.jsonl');
    writeFileSync(input, '{"a":1}\n{"a":\n{"a":3}\nnot json\n');
    const dead = join(dir, 'dead', 'letters.jsonl');
    const r = await riffle(['run', fixture('bad-jsonl'), `--input=${input}`, '--dead-letter', dead]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: 2 records were rejected \('ReadEvents'\) and written to /m);
    const lines = readFileSync(dead, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { step: string; element: string; origin: { file: string; line: number } });
    assert.deepEqual(lines.map((l) => [l.step, l.element, l.origin.line]), [['ReadEvents', '{"a":', 2], ['ReadEvents', 'not json', 4]]);
    assert.ok(lines.every((l) => l.origin.file.endsWith('events.jsonl')));
    const none = join(dir, 'none.jsonl');
    const ok = await riffle(['run', fixture('word-lengths'), ...good, '--dead-letter', none]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(existsSync(none), false);
    assert.doesNotMatch(ok.stderr, /warning/);
  });

  it('stops quietly when its output is closed (piped into head), and takes -V', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dag', '--help'], { cwd: root });
    child.stdout.destroy(); // the reader is gone before anything is written: every write gets EPIPE
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const v = await riffle(['-V']);
    assert.match(v.stdout, /^riffle \d+\.\d+\.\d+/);
    const typo = await riffle(['tabel']);
    assert.match(typo.stderr, /did you mean 'table'\? commands: run, template, dag, scheduler, store, contract, table, sql, models, quality, bus, cdc, server, harness, version, help, completion, config/);
  });

  it('--json owns stdout: what the pipeline logs goes to stderr, and stdout parses as one document', async () => {
    const r = await riffle(['run', fixture('chatty'), '--json', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { state: string }).state, 'DONE');
    assert.match(r.stderr, /building the chatty pipeline/);
    assert.match(r.stderr, /saw 2/);
    const text = await riffle(['run', fixture('chatty'), '--no-progress']);
    assert.match(text.stdout, /saw 2/); // without --json, logs stay where the pipeline wrote them
  });

  it('warns about inputs that gave no records, on stderr and in --json', async () => {
    const dir = tempDir();
    const input = join(dir, 'empty.jsonl');
    writeFileSync(input, '');
    const r = await riffle(['run', fixture('bad-jsonl'), `--input=${input}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: 1 input warning: .*empty\.jsonl/m);
    const j = await riffle(['run', fixture('bad-jsonl'), `--input=${input}`, '--json', '--no-progress']);
    assert.equal(j.code, 0, j.stderr);
    const report = JSON.parse(j.stdout) as { inputWarnings: { kind: string; file: string }[] };
    assert.deepEqual(report.inputWarnings.map((w) => w.kind), ['empty-file']);
  });

  it('fails with exit code 1 past --max-errors, with the records on disk', async () => {
    const dir = tempDir();
    const dead = join(dir, 'dead.jsonl');
    const r = await riffle(['run', fixture('dead-letters'), '--count=30', '--max-errors', '2', '--dead-letter', dead]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: more than 2 records were rejected \(the last at step 'ParseJson': .*\); the job was stopped\n {2}hint: the rejected records are in /m);
    assert.ok(readFileSync(dead, 'utf8').trimEnd().split('\n').length >= 3);
    const bad = await riffle(['run', fixture('dead-letters'), '--max-errors=lots']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-errors takes a whole number/);
  });

  it('--typecheck reports type errors as tsc does and exits 2 before any work; without it the combiner refuses the string', async () => {
    const module = 'src/cli/fixtures/.ill-typed/sum-strings.ts';
    const r = await riffle(['run', module, '--typecheck']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^src\/cli\/fixtures\/\.ill-typed\/sum-strings\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'\.$/m);
    assert.match(r.stderr, /^error: 'src\/cli\/fixtures\/\.ill-typed\/sum-strings\.ts' does not type-check: 1 error/m);
    assert.equal(r.stdout, '', 'nothing ran');
    const untyped = await riffle(['run', module]);
    assert.equal(untyped.code, 1);
    assert.match(untyped.stderr, /^error: step 'CombinePerKey\/Combine' failed on element \{"key":"a",.*\}: sum expects numbers, got the string "12"/);
  });

  describe('a wrong path is a message naming it, never a stack or an internal error', () => {
    const cases: Array<[string, (dir: string) => string[], RegExp]> = [
      ['table show on a CSV file (ENOTDIR)', (dir) => ['table', 'show', join(dir, 'orders.csv')], /orders\.csv/],
      ['quality profile on a directory (EISDIR)', (dir) => ['quality', 'profile', join(dir, 'folder')], /folder/],
      ['contract test --data on a path that is no table or file', (dir) => ['contract', 'test', 'examples/contracts/orders.contract.yaml', '--data', join(dir, 'notatable')], /notatable/],
    ];
    for (const [what, args, names] of cases) {
      it(what, async () => {
        const dir = tempDir();
        writeFileSync(join(dir, 'orders.csv'), 'order_id,total\n1,2\n');
        mkdirSync(join(dir, 'folder'));
        writeFileSync(join(dir, 'folder', 'a.csv'), 'x\n1\n');
        const r = await riffle(args(dir));
        assert.ok(r.code === 1 || r.code === 2, `exit code ${r.code}: ${r.stderr}`);
        const first = r.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
        assert.match(first, names, r.stderr);
        assert.doesNotMatch(r.stderr, /^\s+at |internal error|BatchData|\bE[A-Z]{3,}:/m, r.stderr);
        assert.match(r.stderr, /hint: |\bgive\b|\bexpects?\b|\bnot a\b/, 'it says what to do or what was expected');
      });
    }
  });

  it('describes a template as a table and as JSON', async () => {
    const r = await riffle(['template', 'describe', fixture('word-lengths')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Counts words by length\./);
    assert.match(r.stdout, /^parameter +type +default +description$/m);
    assert.match(r.stdout, /^words +string +\(required\) +comma-separated words$/m);
    assert.match(r.stdout, /^minLength +integer +1 +shortest word counted$/m);
    assert.match(r.stdout, /usage: riffle run src\/cli\/fixtures\/word-lengths\.ts --words=<string> \[--minLength=<integer>\]/);
    const json = await riffle(['template', 'describe', fixture('word-lengths'), '--json']);
    const doc = JSON.parse(json.stdout) as { description: string; params: Array<{ name: string; type: string; default: unknown; required: boolean }> };
    assert.equal(doc.description, 'Counts words by length.');
    assert.deepEqual(
      doc.params.map((p) => [p.name, p.type, p.default, p.required]),
      [
        ['words', 'string', null, true],
        ['minLength', 'integer', 1, false],
        ['upper', 'boolean', false, false],
        ['weight', 'number', null, true],
      ],
    );
  });

  it('runs a template with template run', async () => {
    const r = await riffle(['template', 'run', fixture('word-lengths'), ...good]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /DONE/);
  });

  /** Runs the slow fixture and sends `signal` when its stderr shows `marker`; measures how long the exit took. */
  async function interrupt(args: string[], marker: string, signal: NodeJS.Signals): Promise<Outcome & { exitMs: number }> {
    let sentAt = 0;
    const r = await riffle(['run', fixture('slow'), ...args], {
      onStderr: (text, child) => {
        if (sentAt === 0 && text.includes(marker)) {
          sentAt = Date.now();
          child.kill(signal);
        }
      },
    });
    assert.ok(sentAt > 0, `the fixture never printed '${marker}': ${r.stderr}`);
    return { ...r, exitMs: Date.now() - sentAt };
  }

  it('cancels promptly on SIGINT while reading: exit code 130, one line, no stack', async () => {
    const r = await interrupt([], 'slow: started', 'SIGINT');
    assert.equal(r.code, 130, r.stderr);
    assert.ok(r.exitMs < 2000, `exited ${r.exitMs} ms after the signal`);
    assert.match(r.stderr, /^interrupted: cancelling the job/m);
    assert.doesNotMatch(r.stderr, /^\s+at |AbortError|^error:/m);
    assert.match(r.stdout, /CANCELLED/);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`cancels promptly on ${signal} after reading (grouping, writing), leaving no temporary output`, async () => {
      const out = tempDir();
      const r = await interrupt(['--stage=group', '--elements=300000', `--output=${out}`], 'slow: grouped', signal);
      assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, r.stderr);
      assert.ok(r.exitMs < 2000, `exited ${r.exitMs} ms after the signal`);
      assert.doesNotMatch(r.stderr, /^\s+at |^error:/m);
      assert.deepEqual(readdirSync(out), [], 'no temporary or partial output remains');
    });
  }
});
