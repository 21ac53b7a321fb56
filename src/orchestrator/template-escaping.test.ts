// Templated values stay data wherever the template is a language of its own: a file sensor's glob (shell commands
// are covered in shell-task.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dag } from './dag.ts';
import { testDag } from './dag-test.ts';
import { fileSensor } from './sensors.ts';
import { escapeGlob, renderTemplateWith, templateContext } from './template-context.ts';

describe('templates into globs', () => {
  it('a value with glob characters matches only itself; | raw keeps a pattern', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-glob-'));
    try {
      writeFileSync(join(dir, 'orders-other.csv'), '');
      const d = dag({ id: 'g', schedule: null, startDate: '2024-01-01', params: { name: '*' } });
      let got: unknown;
      const s = d.sensor('wait', fileSensor({ path: 'orders-{{ params.name }}.csv', cwd: dir, timeout: '1s', pokeInterval: '100ms', softFail: true }));
      d.task('use', { inputs: { s } }, ({ inputs }) => void (got = inputs.s));
      const r = await testDag(d, Date.UTC(2024, 0, 1));
      assert.equal(r.tasks.find((t) => t.taskId === 'wait')!.state, 'skipped', 'orders-*.csv must not match orders-other.csv');
      writeFileSync(join(dir, 'orders-*.csv'), '');
      const again = await testDag(d, Date.UTC(2024, 0, 1));
      assert.equal(again.run.state, 'success');
      assert.deepEqual(got, [join(dir, 'orders-*.csv')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ctx = templateContext({ dagId: 'd', runId: 'r', taskId: 't', logicalDate: 0, dataIntervalStart: 0, dataIntervalEnd: 0, timezone: 'UTC', tryNumber: 1, mapIndex: -1, params: { p: 'a*{b,c}' } });
    assert.equal(renderTemplateWith('x/{{ params.p }}/*.csv', ctx, escapeGlob), 'x/a\\*\\{b,c\\}/*.csv');
    assert.equal(renderTemplateWith('x/{{ params.p | raw }}', ctx, escapeGlob), 'x/a*{b,c}');
  });
});
