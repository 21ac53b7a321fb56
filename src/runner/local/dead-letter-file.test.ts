import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeadLetterFile, DEAD_LETTERS_KEPT, defaultDeadLetterPath, newRunId } from './dead-letter-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-dlf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const record = (i: number, element: unknown = `line ${i}`) => ({ step: 'Read', error: `bad ${i}`, element, time: '2026-12-06T00:00:00.000Z', origin: { file: 'in.csv', line: i } });

describe('DeadLetterFile', () => {
  it('streams records to disk as they come, keeping only the first few in memory', () => {
    const path = join(dir, 'nested', 'a.jsonl');
    const f = new DeadLetterFile(path);
    for (let i = 1; i <= 5000; i++) f.add(record(i, 'x'.repeat(40)));
    assert.ok(existsSync(path) && statSync(path).size > 100_000, 'written before the end, not buffered whole');
    f.close();
    assert.equal(f.count, 5000);
    assert.equal(f.kept.length, DEAD_LETTERS_KEPT);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 5000);
    assert.deepEqual(JSON.parse(lines[41]!), { step: 'Read', error: 'bad 42', time: '2026-12-06T00:00:00.000Z', origin: { file: 'in.csv', line: 42 }, element: 'x'.repeat(40) });
  });

  it('keeps bytes as base64, bigints as strings, and an excerpt of what JSON cannot hold', () => {
    const path = join(dir, 'b.jsonl');
    const f = new DeadLetterFile(path);
    f.add(record(1, new Uint8Array([0xff, 0x00, 0x41])));
    f.add(record(2, { n: 5n }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    f.add(record(3, cyclic));
    f.close();
    const [bytes, big, cycle] = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(bytes!.elementBase64, Buffer.from([0xff, 0x00, 0x41]).toString('base64'));
    assert.deepEqual(big!.element, { n: '5' });
    assert.equal(cycle!.elementExcerpt, true);
  });

  it('creates nothing without records, and reports a file it could not write', () => {
    const none = new DeadLetterFile(join(dir, 'none.jsonl'));
    none.close();
    assert.equal(existsSync(join(dir, 'none.jsonl')), false);
    const blocked = new DeadLetterFile(join(dir, 'b.jsonl', 'under-a-file.jsonl'));
    blocked.add(record(1));
    assert.throws(() => blocked.close(), /could not write 1 rejected record to the dead-letter file .*under-a-file\.jsonl/);
  });

  it('names the default file after the job and a time-ordered run id', () => {
    const id = newRunId(new Date('2026-12-06T21:45:00.123Z'));
    assert.match(id, /^20261206T214500Z-[0-9a-f]{6}$/);
    assert.equal(defaultDeadLetterPath('my pipeline', id, '/work', {}), `/work/riffle-dead-letters/my_pipeline-${id}.jsonl`);
    assert.equal(defaultDeadLetterPath('p', id, '/work', { RIFFLE_DEAD_LETTER_DIR: '/tmp/dl' }), `/tmp/dl/p-${id}.jsonl`);
  });
});
