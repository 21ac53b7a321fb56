// End-to-end tests of the `riffle` command: each spawns `node --import tsx src/cli/main.ts ...` on a fixture module.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
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
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, RIFFLE_DEBUG: '', ...opts.env } });
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

// A few at a time: each child compiles TypeScript on start, and too many at once starve each other.
describe('riffle (command line)', { concurrency: 4 }, () => {
  it('prints help and the version', async () => {
    const help = await riffle(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /run <pipeline\.ts> \[--param=value \.\.\.\]/);
    const runHelp = await riffle(['run', '--help']);
    assert.match(runHelp.stdout, /--explain/);
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
    assert.deepEqual(doc.deadLetters, { count: 0, first: [] });
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

  it('shows the dead-letter count and the first few dead letters', async () => {
    const r = await riffle(['run', fixture('dead-letters')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dead letters: 6$/m);
    assert.match(r.stdout, /^ParseJson +.*JSON.*"\{\\"n\\":1\} oops"$/m);
    assert.match(r.stdout, /… and 1 more/);
    const json = await riffle(['run', fixture('dead-letters'), '--json']);
    const doc = JSON.parse(json.stdout) as { deadLetters: { count: number; first: Array<{ step: string; element: unknown }> } };
    assert.equal(doc.deadLetters.count, 6);
    assert.deepEqual(doc.deadLetters.first[0], { ...doc.deadLetters.first[0], step: 'ParseJson', element: '{"n":1} oops' });
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

  it('cancels cleanly on SIGINT with exit code 130', async () => {
    let interrupted = false;
    const r = await riffle(['run', fixture('slow')], {
      onStderr: (text, child) => {
        // Interrupt once the job is processing elements (the fixture says so on stderr).
        if (!interrupted && text.includes('slow: started')) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /cancelling the job/);
    assert.match(r.stdout, /CANCELLED/);
  });
});
