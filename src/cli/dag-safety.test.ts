// `riffle dag` against hostile and mistyped input: params are checked before a run (exit 2), templated values never
// reach a shell unquoted (dag test --<param>, dag trigger --conf), and new DAGs start paused.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeError, exitCodeOf } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { dagCommand, schedulerCommand } from './dag-command.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-dag-safety-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dags = join(root, 'dags');
const work = join(root, 'work');
mkdirSync(dags);
mkdirSync(work);
writeFileSync(join(dags, 'package.json'), '{"type":"module"}');
const INDEX = JSON.stringify(new URL('../orchestrator/index.ts', import.meta.url).href);
writeFileSync(join(dags, 'safety.ts'), `import { dag, shell } from ${INDEX};
export const gate = dag({ id: 'gate', schedule: null, startDate: '2024-01-01', params: { errorRateThreshold: 0.05, name: 'world' } });
gate.task('check', ({ params }) => { if (!(0.1 <= params.errorRateThreshold)) throw new Error('error rate 0.1 is over the threshold'); });
export const greet = dag({ id: 'greet', schedule: null, startDate: '2024-01-01', params: { name: 'world' } });
greet.task('hello', shell({ command: 'printf %s "hello {{ params.name }}" > hello-{{ ds }}.txt; printf %s {{ params.name }} > bare-{{ ds }}.txt', cwd: ${JSON.stringify(work)} }));
export const daily = dag({ id: 'daily', schedule: '@daily', startDate: '2024-01-01' });
daily.task('tick', () => 'tick');
`);

async function riffle(fn: typeof dagCommand, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
  let status: number;
  try {
    status = await fn([...args, '--dags', dags], io);
  } catch (e) {
    err.push(describeError(e, false));
    status = exitCodeOf(e);
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('riffle dag: params, injection, pause', () => {
  it('dag test refuses a value its param cannot take, and unknown params, before running (exit 2)', async () => {
    let r = await riffle(dagCommand, 'test', 'gate', '2024-01-01', '--errorRateThreshold=abc');
    assert.equal(r.status, 2, r.err);
    assert.match(r.err, /invalid params for dag 'gate':\n {2}--errorRateThreshold: "abc" is not a number; expected a number \(default 0\.05\)/);
    assert.doesNotMatch(r.err, /\n\s+at /);
    r = await riffle(dagCommand, 'test', 'gate', '2024-01-01', '--errorRateTreshold=0.2');
    assert.equal(r.status, 2);
    assert.match(r.err, /--errorRateTreshold: unknown param; did you mean 'errorRateThreshold'\?/);
    r = await riffle(dagCommand, 'test', 'gate', '2024-01-01', '--errorRateThreshold=0.2');
    assert.equal(r.status, 0, r.err + r.out);
    r = await riffle(dagCommand, 'test', 'gate', '2024-01-01', '--conf', '{"errorRateThreshold": 0.01}');
    assert.equal(r.status, 1, 'the gate fails: 0.1 is over the threshold');
    r = await riffle(dagCommand, 'trigger', 'gate', '--conf', 'errorRateThreshold=abc', '--store', join(root, 'gate-store'));
    assert.equal(r.status, 2);
    assert.match(r.err, /--conf errorRateThreshold: "abc" is not a number/);
    assert.equal(existsSync(join(root, 'gate-store', 'journal.jsonl')), false, 'nothing was recorded');
  });

  it('dag test --name with shell syntax runs no command: the value reaches the command as data', async () => {
    const name = `x; touch pwned-test; $(touch pwned-test2) \`touch pwned-test3\` "q" 'q'\nnext`;
    const r = await riffle(dagCommand, 'test', 'greet', '2024-01-01', `--name=${name}`);
    assert.equal(r.status, 0, r.err + r.out);
    assert.equal(readFileSync(join(work, 'hello-2024-01-01.txt'), 'utf8'), `hello ${name}`);
    assert.equal(readFileSync(join(work, 'bare-2024-01-01.txt'), 'utf8'), name);
    for (const f of ['pwned-test', 'pwned-test2', 'pwned-test3']) assert.equal(existsSync(join(work, f)), false, f);
  });

  it('dag trigger --conf with shell syntax, run by the scheduler, runs no command; new DAGs start paused', async () => {
    const store = join(root, 'store');
    const name = "a' ; touch pwned-trigger ; echo '";
    let r = await riffle(dagCommand, 'trigger', 'greet', '--logical-date', '2024-01-02', '--conf', `name=${name}`, '--store', store);
    assert.equal(r.status, 0, r.err);
    r = await riffle(dagCommand, 'trigger', 'greet', '--logical-date', '2024-01-03', '--conf', JSON.stringify({ name: '$(touch pwned-json)' }), '--store', store);
    assert.equal(r.status, 0, r.err);
    r = await riffle(schedulerCommand, '--once', '--json', '--store', store);
    assert.equal(r.status, 0, r.err + r.out);
    const runs = (JSON.parse(r.out) as { runs: { dagId: string; runId: string; state: string }[] }).runs.map((x) => `${x.dagId} ${x.runId} ${x.state}`);
    assert.deepEqual(runs, ['greet manual__2024-01-02T00:00:00.000Z success', 'greet manual__2024-01-03T00:00:00.000Z success'], 'triggered runs of a paused DAG run; the scheduled DAG daily is paused');
    assert.equal(readFileSync(join(work, 'bare-2024-01-02.txt'), 'utf8'), name);
    assert.equal(readFileSync(join(work, 'bare-2024-01-03.txt'), 'utf8'), '$(touch pwned-json)');
    assert.equal(existsSync(join(work, 'pwned-trigger')), false);
    assert.equal(existsSync(join(work, 'pwned-json')), false);

    const list = JSON.parse((await riffle(dagCommand, 'list', '--json', '--store', store)).out) as { dags: { id: string; paused: boolean }[] };
    assert.deepEqual(list.dags.map((d) => [d.id, d.paused]).sort(), [['daily', true], ['gate', true], ['greet', true]]);
    assert.equal((await riffle(dagCommand, 'unpause', 'daily', '--store', store)).status, 0);
    r = await riffle(schedulerCommand, '--once', '--json', '--store', store);
    assert.equal(r.status, 0, r.err + r.out);
    assert.deepEqual((JSON.parse(r.out) as { runs: { dagId: string; runType: string; state: string }[] }).runs.map((x) => [x.dagId, x.runType, x.state]), [['daily', 'scheduled', 'success']]);
  });

  it('scheduler --dags-paused-at-creation false (or the env) lets new DAGs schedule at once', async () => {
    const store = join(root, 'store-unpaused');
    const r = await riffle(schedulerCommand, '--once', '--json', '--store', store, '--dags-paused-at-creation', 'false');
    assert.equal(r.status, 0, r.err + r.out);
    assert.deepEqual((JSON.parse(r.out) as { runs: { dagId: string }[] }).runs.map((x) => x.dagId), ['daily']);
    assert.equal((await riffle(schedulerCommand, '--once', '--store', store, '--dags-paused-at-creation', 'maybe')).status, 2);
  });
});
