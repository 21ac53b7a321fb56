/**
 * `npm run bench:connectors`: the connector benchmarks — every `bench/connectors/<name>.ts` (kafka, cdc, …), each in
 * its own process, one after the other (they start servers and measure throughput: running them together would
 * measure the contention). Arguments after `--` go to every benchmark; `--only <name>[,<name>]` picks some.
 * Each benchmark prints its own report; with `--json` each prints one JSON document on its last stdout line, and this
 * runner prints `{ "<name>": <document> | { "error": … } }` at the end. A benchmark that fails does not stop the
 * others; the exit code is 1 if any failed.
 *
 *   npm run bench:connectors                       # all of them
 *   npm run bench:connectors -- --only cdc --changes 100000
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'connectors');
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').filter((s) => s !== '')) : undefined;
const passed = onlyAt >= 0 ? [...args.slice(0, onlyAt), ...args.slice(onlyAt + 2)] : args;
const json = passed.includes('--json');

const names = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => f.slice(0, -3)).sort();
const unknown = only ? [...only].filter((n) => !names.includes(n)) : [];
if (unknown.length > 0) {
  console.error(`bench:connectors: no benchmark ${unknown.join(', ')} (there are: ${names.join(', ')})`);
  process.exit(2);
}

/** Runs one benchmark; its stdout goes through (and is kept, for --json). */
function run(name: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`), ...passed], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!json) process.stdout.write(d);
    });
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

const results: Record<string, unknown> = {};
let failed = false;
for (const name of names.filter((n) => !only || only.has(n))) {
  if (!json) console.log(`\n== bench:connectors ${name}`);
  const started = Date.now();
  const { code, stdout } = await run(name);
  if (code !== 0) {
    failed = true;
    results[name] = { error: `exited with code ${code}` };
    console.error(`bench:connectors: ${name} failed (exit code ${code}) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    continue;
  }
  if (json) {
    const last = stdout.trim().split('\n').at(-1) ?? '';
    try {
      results[name] = JSON.parse(last);
    } catch {
      results[name] = { error: 'its last line of output is not a JSON document' };
      failed = true;
    }
  }
}
if (json) console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
