// File connector benchmark: generates a 1M-row CSV in a temp dir and reads it typed with Riffle's csvSource, then with
// the csv-parse package (the peer we measured before writing our own parser), plus plain lines and JSON Lines.
// Run: node --import tsx bench/files.ts [rows]
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as csvParse } from 'csv-parse';
import { csvSource, jsonlSource, textSource } from '../src/io/files/index.ts';
import type { BoundedSource } from '../src/model/index.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const columns = { id: 'integer', name: 'string', revenue: 'number', active: 'boolean', at: 'date' } as const;

function generateCsv(rows: number): string {
  const parts: string[] = ['id,name,revenue,active,at\n'];
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows; i++) {
    // One row in ten has a quoted name with a comma and a doubled quote, as real exports do.
    const name = i % 10 === 0 ? `"Shop ${i}, ""the best"""` : `shop-${i % 997}`;
    parts.push(`${i},${name},${(i % 10_000) / 100},${i % 3 === 0},${new Date(t0 + i * 1000).toISOString()}\n`);
  }
  return parts.join('');
}

async function drain<T>(source: BoundedSource<T>): Promise<number> {
  let n = 0;
  for await (const batch of source.read()) n += batch.values.length + (batch.errors?.length ?? 0);
  return n;
}

/** csv-parse with what Riffle's reader gives: objects by header, typed columns, raw text and line of each record. */
async function csvParseTyped(path: string): Promise<number> {
  const parser = createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(
    csvParse({ columns: true, info: true, raw: true, skip_empty_lines: true, bom: true }),
  );
  let n = 0;
  for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; raw: string; info: { lines: number } }>) {
    const r = rec.record;
    const row = { id: Number(r.id), name: r.name, revenue: Number(r.revenue), active: r.active === 'true', at: Date.parse(r.at) };
    if (Number.isNaN(row.revenue) || rec.info.lines < 0) continue;
    n++;
  }
  return n;
}

async function csvParsePlain(path: string): Promise<number> {
  let n = 0;
  for await (const _rec of createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(csvParse({ columns: true }))) n++;
  return n;
}

async function time(label: string, bytes: number, run: () => Promise<number>): Promise<string[]> {
  await run(); // warm-up
  const best: number[] = [];
  let rows = 0;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    rows = await run();
    best.push(performance.now() - t);
  }
  const ms = Math.min(...best);
  return [label, rows.toLocaleString('en'), `${ms.toFixed(0)} ms`, `${Math.round((rows / ms) * 1000).toLocaleString('en')}`, `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`];
}

const dir = await mkdtemp(join(tmpdir(), 'riffle-bench-files-'));
try {
  const csvPath = join(dir, 'sales.csv');
  await writeFile(csvPath, generateCsv(ROWS));
  const jsonlPath = join(dir, 'sales.jsonl');
  const src = csvSource(csvPath, { columns });
  const json: string[] = [];
  for await (const b of src.read()) for (const v of b.values) json.push(JSON.stringify(v));
  await writeFile(jsonlPath, `${json.join('\n')}\n`);
  const csvBytes = (await stat(csvPath)).size;
  const jsonlBytes = (await stat(jsonlPath)).size;

  const rows = [
    ['reader', 'rows', 'time', 'rows/s', 'throughput'],
    await time('riffle csvSource, typed (5 columns)', csvBytes, () => drain(csvSource(csvPath, { columns }))),
    await time('riffle csvSource, strings', csvBytes, () => drain(csvSource(csvPath))),
    // The peer is slow: BENCH_NO_PEER=1 skips it while iterating on Riffle's readers.
    ...(process.env.BENCH_NO_PEER
      ? []
      : [
          await time('csv-parse, typed + raw + line info', csvBytes, () => csvParseTyped(csvPath)),
          await time('csv-parse, strings', csvBytes, () => csvParsePlain(csvPath)),
        ]),
    await time('riffle textSource (lines)', csvBytes, () => drain(textSource(csvPath))),
    await time('riffle jsonlSource', jsonlBytes, () => drain(jsonlSource(jsonlPath))),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`${ROWS.toLocaleString('en')} rows, CSV ${(csvBytes / 1e6).toFixed(0)} MB, JSONL ${(jsonlBytes / 1e6).toFixed(0)} MB (best of 3, Node ${process.version})`);
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
} finally {
  await rm(dir, { recursive: true, force: true });
}
