// Runs every *.test.ts under src/, test/, examples/ and console/ (the web console's unit tests, no browser) with node's
// test runner (Node 20 has no glob for --test).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function find(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : ['src', 'test', 'examples', 'console'].flatMap((d) => find(d, [])).sort();
// Pipelines that reject records write dead letters to riffle-dead-letters/ in the working directory by default: keep
// the tests' out of the tree (tests of the default location set the variable themselves).
const deadLetters = process.env.RIFFLE_DEAD_LETTER_DIR ?? mkdtempSync(join(tmpdir(), 'riffle-test-dead-letters-'));
const env = { ...process.env, RIFFLE_DEAD_LETTER_DIR: deadLetters };
// npm test runs two test files at a time (node's default is one fewer than the cores: one here). Most tests wait on
// child processes, servers and files, so two halve the wall time on two cores (7.7 min instead of 15 for 1,849 tests,
// 2026-12-07). The tiers, which name their files and share one server or cluster, keep one at a time.
// RIFFLE_TEST_CONCURRENCY changes it.
const concurrency = process.env.RIFFLE_TEST_CONCURRENCY ?? (only.length > 0 ? '1' : '2');
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit', env });
if (process.env.RIFFLE_DEAD_LETTER_DIR === undefined) rmSync(deadLetters, { recursive: true, force: true });
process.exit(result.status ?? 1);
