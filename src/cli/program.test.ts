// The command tree in-process: every command's help (walked from the tree, so a new command is covered as soon as
// it is registered), unknown commands and options with suggestions, version, errors as JSON, and completion scripts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { colourEnabled, colourMessage, colours } from './colour.ts';
import { exitCodeOf, isRiffleError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { COMMANDS } from './commands.ts';
import { completionScript, completionTree } from './completion.ts';
import { buildProgram, execute, newContext } from './program.ts';

function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env, cwd: process.cwd() };
  return { io, out, err, text: () => out.join('\n'), errors: () => err.join('\n') };
}

/** Runs a command line in-process: the exit code, stdout, stderr, and the error thrown (as main would print it). */
async function cli(...argv: string[]) {
  const c = capture();
  try {
    const code = await execute(argv, c.io, COMMANDS);
    return { code, out: c.text(), err: c.errors(), error: undefined as Error | undefined };
  } catch (e) {
    return { code: exitCodeOf(e), out: c.text(), err: c.errors(), error: e as Error };
  }
}

/** Every command of the tree with its path (`['dag', 'runs']`). */
function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()], cmd: c }, ...walk(c, [...path, c.name()])]);
}

const tree = walk(buildProgram(newContext(capture().io), COMMANDS));

describe('riffle: the command tree', () => {
  it('has every command of the issue', () => {
    const top = tree.filter((t) => t.path.length === 1).map((t) => t.path[0]);
    for (const name of ['run', 'template', 'dag', 'scheduler', 'store', 'contract', 'table', 'quality', 'version', 'help', 'completion']) assert.ok(top.includes(name), name);
    assert.ok(tree.length > 40, `${tree.length} commands`);
  });

  for (const { path, cmd } of tree) {
    it(`riffle ${path.join(' ')} --help: usage, description, options, examples (and 'riffle help ${path.join(' ')}' says the same)`, async () => {
      const r = await cli(...path, '--help');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^Usage: riffle ${path.join(' ')}\\b`, 'm'));
      assert.ok(r.out.includes(cmd.description().split('\n')[0]!.slice(0, 40)), 'the description');
      assert.match(r.out, /^Examples:\n {2}\$ \S/m, 'examples');
      for (const option of cmd.options.filter((o) => !o.hidden)) assert.ok(r.out.includes(option.flags), `option ${option.flags}`);
      if (path[0] !== 'run' && path.at(-1) !== 'run') {
        const viaHelp = await cli('help', ...path);
        assert.equal(viaHelp.out, r.out);
      }
    });
  }

  it('prints the program help for --help, and on stderr with exit 2 when no command is given', async () => {
    const help = await cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^ {2}dag \[options\] +DAGs: list, show/m);
    const none = await cli();
    assert.equal(none.code, 2);
    assert.equal(none.out, '');
    assert.match(none.err, /^Usage: riffle <command>/);
    const dag = await cli('dag');
    assert.equal(dag.code, 2);
    assert.match(dag.err, /^Usage: riffle dag <command>/);
  });

  it('-V, --version and version [--json]', async () => {
    for (const args of [['-V'], ['--version'], ['version']]) assert.match((await cli(...args)).out, /^riffle \d+\.\d+\.\d+ \(node v\d+/);
    const json = JSON.parse((await cli('version', '--json')).out) as { version: string; node: string };
    assert.match(json.version, /^\d+\.\d+\.\d+/);
    assert.equal(json.node, process.version);
  });

  it('unknown commands and options: exit 2, a message naming the command, and a suggestion', async () => {
    const cases: Array<[string[], RegExp, RegExp]> = [
      [['tabel'], /^unknown command 'tabel'$/, /^did you mean 'table'\? commands: run, template, dag, scheduler, store, contract, table, sql, models, quality, bus, cdc, server, harness, version, help, completion, config/],
      [['dag', 'lsit'], /^unknown dag command 'lsit'$/, /^did you mean 'list'\? commands: list, show, test/],
      [['quality', 'checkpoint', 'rn', 'x.yaml'], /^unknown checkpoint command 'rn'$/, /did you mean 'run'\?/],
      [['dag', 'runs', 'demo', '--limt', '3'], /^riffle dag runs: unknown option --limt \(did you mean --limit\?\)$/, /^usage: riffle dag runs \[options\] <dag>/],
      [['table', 'show', 't', '--colums', 'a'], /^riffle table show: unknown option --colums \(did you mean --columns\?\)$/, /riffle table show --help lists the options/],
      [['help', 'tabel'], /^unknown command 'tabel'$/, /did you mean 'table'\?/],
      [['pipeline.ts'], /^unknown command 'pipeline\.ts'$/, /^to run a pipeline: riffle run pipeline\.ts$/],
      [['dag', 'show'], /^riffle dag show: missing the DAG id$/, /^usage: riffle dag show/],
      [['contract', 'diff', 'a.yaml', 'b.yaml', 'c.yaml'], /^riffle contract diff: unexpected argument 'c\.yaml'$/, /usage: riffle contract diff/],
      [['dag', 'runs', 'demo', '--limit'], /^--limit needs a value$/, /usage: riffle dag runs/],
      [['completion', 'tcsh'], /unknown shell 'tcsh'/, /bash, zsh, fish/],
      [['dag', 'trigger', 'd', '--pool', 'db=1'], /^riffle dag trigger: unknown option --pool$/, /^--pool is an option of 'riffle dag backfill', 'riffle dag stats'; usage: riffle dag trigger/],
      [['store', 'check', '--discard-snapshot'], /^riffle store check: unknown option --discard-snapshot$/, /^--discard-snapshot is an option of 'riffle store repair'/],
    ];
    for (const [argv, message, hint] of cases) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.ok(r.error !== undefined && isRiffleError(r.error), argv.join(' '));
      assert.match(r.error.message.split('\n  hint: ')[0]!, message, argv.join(' '));
      assert.match(r.error.hint ?? '', hint, argv.join(' '));
    }
  });
});

describe('riffle completion', () => {
  const root = completionTree(buildProgram(newContext(capture().io), COMMANDS));

  it('prints a script for bash, zsh and fish naming every command', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await cli('completion', shell);
      assert.equal(r.code, 0);
      for (const { path } of tree) assert.ok(r.out.includes(path.at(-1)!), `${shell}: ${path.join(' ')}`);
    }
    assert.match((await cli('completion', 'bash')).out, /^complete -o default -o bashdefault -F _riffle_complete riffle$/m);
    assert.match((await cli('completion', 'zsh')).out, /^#compdef riffle$/m);
    assert.match((await cli('completion', 'fish')).out, /^complete -c riffle -n "__riffle_complete_path_is 'riffle dag'" -f -a 'runs' -d 'runs with their states and durations'$/m);
  });

  /** What bash completes for the words typed so far (the last one being completed). */
  const complete = (words: string[]): string[] => {
    const script = completionScript(root, 'bash');
    const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _riffle_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', line], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };

  it('bash completes commands, subcommands and the options of the command being typed (its parents\' too)', () => {
    assert.deepEqual(complete(['riffle', 'ta']), ['table']);
    assert.deepEqual(complete(['riffle', 'dag', 'ru']), ['runs']);
    assert.deepEqual(complete(['riffle', 'dag', 'runs', 'demo', '--li']), ['--limit']);
    assert.deepEqual(complete(['riffle', 'dag', '--json', 'runs', 'demo', '--st']).sort(), ['--state', '--store']);
    assert.deepEqual(complete(['riffle', 'table', 'show', 't', '--wh']), ['--where']);
    assert.deepEqual(complete(['riffle', 'quality', 'checkpoint', '']), ['run']);
    assert.deepEqual(complete(['riffle', 'run', 'p.ts', '--wo']), ['--workers']);
    assert.deepEqual(complete(['riffle', 'completion', '']), [], 'a leaf: bash falls back to file names');
  });
});

describe('colours', () => {
  it('only on a TTY, never with NO_COLOR, always with FORCE_COLOR (but not FORCE_COLOR=0)', () => {
    assert.equal(colourEnabled(true, {}), true);
    assert.equal(colourEnabled(false, {}), false);
    assert.equal(colourEnabled(true, { NO_COLOR: '1' }), false);
    assert.equal(colourEnabled(true, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count');
    assert.equal(colourEnabled(false, { FORCE_COLOR: '1' }), true);
    assert.equal(colourEnabled(true, { FORCE_COLOR: '0' }), false);
    assert.equal(colourEnabled(true, { TERM: 'dumb' }), false);
  });

  it('colours the error and warning prefixes and dims hints; plain text when off', () => {
    const on = colours({ isTTY: true }, {});
    assert.equal(colourMessage('error: x\n  hint: y', on), '\u001b[31m\u001b[1merror:\u001b[22m\u001b[39m x\n\u001b[2m  hint: y\u001b[22m');
    assert.equal(colourMessage('error: x\n  hint: y', colours({ isTTY: true }, { NO_COLOR: '1' })), 'error: x\n  hint: y');
  });
});
