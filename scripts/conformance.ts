// `npm run conformance [file.yaml ...]`: runs trigger transcripts with every registered driver, and Beam's standard
// coder vectors (standard_coders.yaml) against Riffle's coders.
// Default files: test/transcripts/*.yaml, plus Beam's transcripts and coder vectors in ../shared/conformance/beam/ when
// that checkout exists (a file named standard_coders.yaml on the command line runs as coder vectors).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transcriptDrivers } from '../test/transcripts/drivers.ts';
import { runTranscriptFile, type TranscriptResult } from '../test/transcripts/harness.ts';
import { runStandardCoders, type CoderVectorResult } from '../test/coders/standard-coders.ts';

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

/** Beam's standard coder vectors, where the shared conformance checkout keeps them (it may be absent). */
export const standardCodersFile = resolve(repo, '..', 'shared', 'conformance', 'beam', 'standard_coders.yaml');

const isCoderVectors = (file: string): boolean => file.endsWith('standard_coders.yaml');

export async function runConformance(files: readonly string[]): Promise<TranscriptResult[]> {
  const results: TranscriptResult[] = [];
  for (const file of files) for (const driver of transcriptDrivers) results.push(...(await runTranscriptFile(file, driver)));
  return results;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const given = args.map((f) => resolve(f));
  const transcriptFiles = args.length > 0 ? given.filter((f) => !isCoderVectors(f)) : defaultTranscriptFiles();
  const coderFiles = args.length > 0 ? given.filter(isCoderVectors) : existsSync(standardCodersFile) ? [standardCodersFile] : [];
  const results = await runConformance(transcriptFiles);
  for (const r of results) {
    const where = relative(process.cwd(), r.file);
    const note = r.passed ? (r.reason ? ` (failed as expected: ${r.reason.split('\n')[0]})` : '') : ` — ${r.reason}`;
    console.log(`${r.passed ? 'pass' : 'FAIL'}  ${r.driver.padEnd(12)} ${where} ${r.name}${note}`);
  }
  let passed = results.filter((r) => r.passed).length;
  let failed = results.length - passed;
  if (args.length === 0 && coderFiles.length === 0) {
    console.log(`skip  coders       ${relative(process.cwd(), standardCodersFile)} not found: Beam's coder vectors not run (they live in the shared conformance checkout)`);
  }
  for (const file of coderFiles) {
    const vectors: CoderVectorResult[] = runStandardCoders(file);
    const where = relative(process.cwd(), file);
    for (const r of vectors) {
      const tag = r.status === 'pass' ? 'pass' : r.status === 'skip' ? 'skip' : 'FAIL';
      console.log(`${tag}  ${'coders'.padEnd(12)} ${where} ${r.name} ${r.check}${r.reason ? ` — ${r.reason}` : ''}`);
    }
    const count = (check: string, status: string): number => vectors.filter((r) => r.check === check && r.status === status).length;
    const examples = vectors.filter((r) => r.check === 'decode').length;
    console.log(
      `coders: ${where}: ${examples} examples×contexts; decoded ${count('decode', 'pass')}/${examples}, ` +
        `re-encoded ${count('encode', 'pass')}/${examples - count('encode', 'skip')}, ` +
        `${count('encode', 'skip')} re-encodings skipped (coders marked non-deterministic: decode only), ${count('decode', 'fail') + count('encode', 'fail')} failed`,
    );
    passed += vectors.filter((r) => r.status === 'pass').length;
    failed += vectors.filter((r) => r.status === 'fail').length;
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
