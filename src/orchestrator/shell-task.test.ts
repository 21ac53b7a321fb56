import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dag } from './dag.ts';
import { testDag } from './dag-test.ts';
import { renderShellCommand, shellQuote } from './shell-quote.ts';
import { shell } from './shell-task.ts';
import { templateContext } from './template-context.ts';

describe('shell tasks', () => {
  it('renders the command and env, logs output, passes the last line on; 99 skips; failures fail', async () => {
    const d = dag({ id: 'sh', schedule: '@daily', startDate: '2024-01-01', params: { table: 'events' } });
    const exported = d.task('export', shell({ command: 'echo "exporting $TABLE for {{ ds }}"; echo out/{{ ds_nodash }}.csv', env: { TABLE: '{{ params.table }}_{{ ds_nodash }}' } }));
    let got: string | null = null;
    d.task('use', { inputs: { path: exported } }, ({ inputs }) => void (got = inputs.path));
    d.task('maybe', shell({ command: 'exit 99' }));
    d.task('broken', shell({ command: 'echo oops >&2; exit 3' }));
    const r = await testDag(d, Date.UTC(2024, 0, 2));
    assert.deepEqual(Object.fromEntries(r.tasks.map((t) => [t.taskId, t.state])), { export: 'success', use: 'success', maybe: 'skipped', broken: 'failed' });
    assert.equal(got, 'out/20240102.csv');
    assert.match(r.logs.get('export#1')!, /exporting events_20240102 for 2024-01-02/);
    assert.match(r.logs.get('broken#1')!, /oops[\s\S]*command exited with code 3/);
  });
});

describe('shell tasks: templated values never become shell syntax', () => {
  const HOSTILE = [
    'x; touch pwned-semicolon',
    '$(touch pwned-subst)',
    '`touch pwned-backtick`',
    "it's; touch pwned-single",
    'say "hi"; touch pwned-double',
    'line1\ntouch pwned-newline',
    '${IFS}touch${IFS}pwned-ifs',
    '\\"; touch pwned-backslash; echo \\"',
    '* ?',
    '',
    'EOF\ntouch pwned-heredoc',
  ];
  // Every place a placeholder can stand in a command.
  const PLACES = [
    'printf %s {{ params.v }}',
    'printf %s "{{ params.v }}"',
    "printf %s '{{ params.v }}'",
    'printf %s pre-{{ params.v }}-post',
    'printf %s "$(printf %s {{ params.v }})"',
    'printf %s "$(printf %s "{{ params.v }}")"',
    'printf %s "`printf %s {{ params.v }}`"',
    'printf %s "$(cat <<EOF\n{{ params.v }}\nEOF\n)"',
    'cat <<EOF\n{{ params.v }}\nEOF',
    "cat <<'EOF'\n{{ params.v }}\nEOF",
    'true # {{ params.v }} comment\nprintf %s ok',
  ];
  const expected = (place: string, v: string) =>
    place.startsWith('printf %s pre-') ? `pre-${v}-post` : place.startsWith('true #') ? 'ok' : place.startsWith('cat') ? `${v}\n` : place.includes('<<') ? v.replace(/\n+$/, '') : v;

  it('gives the command each hostile value exactly, in every quoting context, and runs nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-shell-'));
    try {
      for (const place of PLACES) {
        for (const v of HOSTILE) {
          const d = dag({ id: 'q', schedule: null, startDate: '2024-01-01', params: { v: '' } });
          d.task('t', shell({ command: `{ ${place}\n} > out.txt`, cwd: dir }));
          const r = await testDag(d, Date.UTC(2024, 0, 1), { conf: { v } });
          const refusedHere = (place.includes('#') && v.includes('\n')) || (place.includes('<<') && v.startsWith('EOF\n'));
          if (refusedHere) {
            assert.equal(r.tasks[0]!.state, 'failed', `${place} / ${JSON.stringify(v)} should be refused`);
            assert.match(r.tasks[0]!.error ?? '', /cannot quote \{\{ params\.v \}\} for the shell/);
          } else {
            assert.equal(r.tasks[0]!.state, 'success', `${place} / ${JSON.stringify(v)}: ${r.tasks[0]!.error}`);
            assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), expected(place, v), `${place} / ${JSON.stringify(v)}`);
          }
          assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('pwned')), [], `${place} / ${JSON.stringify(v)} ran a command`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('| raw splices shell syntax on purpose; unknown filters are refused', async () => {
    const d = dag({ id: 'raw', schedule: null, startDate: '2024-01-01', params: { flags: '-n 1', x: 'a' } });
    d.task('raw', shell({ command: 'printf "%s|" {{ params.flags | raw }}' }));
    d.task('typo', shell({ command: 'echo {{ params.x | rwa }}' }));
    const r = await testDag(d, Date.UTC(2024, 0, 1));
    assert.equal(r.tasks.find((t) => t.taskId === 'raw')!.state, 'success');
    assert.match(r.logs.get('raw#1')!, /-n\|1\|/);
    assert.match(r.tasks.find((t) => t.taskId === 'typo')!.error ?? '', /unknown filter 'rwa'/);
  });

  it('the argv form runs without a shell: each element is one argument, as it is', async () => {
    const v = "a b; touch pwned $(id) 'q'";
    const d = dag({ id: 'argv', schedule: null, startDate: '2024-01-01', params: { v: '' } });
    let got: unknown;
    const t = d.task('t', shell([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '{{ params.v }}', 'x-{{ ds }}']));
    d.task('use', { inputs: { t } }, ({ inputs }) => void (got = inputs.t));
    d.task('missing', shell(['riffle-no-such-program-xyz']));
    const r = await testDag(d, Date.UTC(2024, 0, 1), { conf: { v } });
    assert.deepEqual(JSON.parse(String(got)), [v, 'x-2024-01-01']);
    assert.match(r.tasks.find((x) => x.taskId === 'missing')!.error ?? '', /cannot run 'riffle-no-such-program-xyz': no such program/);
    assert.throws(() => shell([]), /non-empty array/);
  });

  it('quotes values for the shell (unit)', () => {
    const ctx = templateContext({ dagId: 'd', runId: 'r', taskId: 't', logicalDate: 0, dataIntervalStart: 0, dataIntervalEnd: 0, timezone: 'UTC', tryNumber: 1, mapIndex: -1, params: { v: "it's", n: 3, o: { a: 1 } } });
    assert.equal(renderShellCommand('echo {{ params.v }} {{ params.n }} {{ ds }}', ctx), "echo 'it'\\''s' 3 1970-01-01");
    assert.equal(renderShellCommand('echo "{{ params.o }}"', ctx), 'echo "{\\"a\\":1}"');
    assert.throws(() => renderShellCommand('echo ${X:-{{ params.v }}}', ctx), /inside \$\{\.\.\.\}/);
    assert.equal(shellQuote(''), "''");
  });
});
