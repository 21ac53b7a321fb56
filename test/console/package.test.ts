// What the package ships of the console: `npm pack` (dry run, no scripts) lists the built console/dist — its page and
// hashed assets — and none of the console's sources, tests or configuration. Runs in the console tier after the
// console's build (RIFFLE_INTEGRATION=1); skipped otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const skip = process.env.RIFFLE_INTEGRATION === '1' ? false : 'runs in the console tier (.ci/tiers/console.sh, RIFFLE_INTEGRATION=1)';

test('npm pack ships the built console and nothing else of console/', { skip, timeout: 120_000 }, () => {
  assert.ok(existsSync(join(ROOT, 'console/dist/index.html')), 'the console is built');
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  const consoleFiles = files.filter((f) => f.startsWith('console/'));
  assert.ok(consoleFiles.includes('console/dist/index.html'), 'the page');
  assert.ok(consoleFiles.some((f) => /^console\/dist\/assets\/index-[\w-]+\.js$/.test(f)), 'the script');
  assert.ok(consoleFiles.some((f) => /^console\/dist\/assets\/index-[\w-]+\.css$/.test(f)), 'the styles');
  assert.deepEqual(consoleFiles.filter((f) => !f.startsWith('console/dist/')), [], 'no console sources or configuration');
});
