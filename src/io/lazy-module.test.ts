import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazyModule } from './lazy-module.ts';

describe('lazyModule', () => {
  it('imports on the first load only, and get() returns the module afterwards', async () => {
    let imports = 0;
    const m = lazyModule('a test module', async () => {
      imports++;
      return { answer: 42 };
    });
    assert.equal(imports, 0, 'nothing is imported before load()');
    const [a, b] = await Promise.all([m.load(), m.load()]);
    assert.equal(imports, 1);
    assert.equal(a, b);
    assert.equal(m.get().answer, 42);
    await m.load();
    assert.equal(imports, 1);
  });

  it('get() before load() names the module and what to do', () => {
    const m = lazyModule('the Delta lakehouse', async () => ({}));
    assert.throws(() => m.get(), /the Delta lakehouse was used before it was loaded \(await load\(\) in an asynchronous hook first\)/);
  });

  it('a failed import fails every load with its error', async () => {
    const m = lazyModule('a missing module', () => import('riffle-no-such-module' as string));
    await assert.rejects(m.load(), /riffle-no-such-module/);
    await assert.rejects(m.load(), /riffle-no-such-module/);
  });
});
