// `npm run conformance [file.yaml ...]`: runs trigger transcripts with every registered driver.
// Default files: test/transcripts/*.yaml, plus Beam's transcripts in ../shared/conformance/beam/ when that checkout exists.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transcriptDrivers } from '../test/transcripts/drivers.ts';
import { runTranscriptFile, type TranscriptResult } from '../test/transcripts/harness.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The transcript files run by default. */
export function defaultTranscriptFiles(): string[] {
  const dir = join(repo, 'test', 'transcripts');
  const own = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
  const beam = resolve(repo, '..', 'shared', 'conformance', 'beam', 'trigger_transcripts.yaml');
  return existsSync(beam) ? [...own, beam] : own;
}

export async function runConformance(files: readonly string[]): Promise<TranscriptResult[]> {
  const results: TranscriptResult[] = [];
  for (const file of files) for (const driver of transcriptDrivers) results.push(...(await runTranscriptFile(file, driver)));
  return results;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args.map((f) => resolve(f)) : defaultTranscriptFiles();
  const results = await runConformance(files);
  for (const r of results) {
    const where = relative(process.cwd(), r.file);
    const note = r.passed ? (r.reason ? ` (failed as expected: ${r.reason.split('\n')[0]})` : '') : ` — ${r.reason}`;
    console.log(`${r.passed ? 'pass' : 'FAIL'}  ${r.driver.padEnd(12)} ${where} ${r.name}${note}`);
  }
  const passed = results.filter((r) => r.passed).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  process.exitCode = passed === results.length ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
