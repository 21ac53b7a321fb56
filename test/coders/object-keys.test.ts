// Keys need deterministic coders: a collection keyed by plain objects under the learned (insertion-order) object
// coder is refused before it runs; the canonical or declared object coders key it, and equal objects group together
// whatever their field order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertThat, coders, create, encodeToBytes, groupByKey, kv, Pipeline, PipelineValidationError, type KV } from '../../src/index.ts';

type Key = { region: string; day: number };

test('grouping by object keys: refused under coders.object(), grouped under the canonical and declared coders', async () => {
  const p = Pipeline.create();
  const learned = p.apply(create([kv<Key, number>({ region: 'eu', day: 1 }, 1)], { coder: coders.kv(coders.object<Key>(), coders.varInt()) }));
  assert.throws(() => learned.apply(groupByKey()), (e: unknown) => e instanceof PipelineValidationError && /key coder object .* is not deterministic \(object fields are written in insertion order/.test(e.message));

  const elements: KV<Key, number>[] = [kv({ region: 'eu', day: 1 }, 1), kv({ day: 1, region: 'eu' } as Key, 2), kv({ region: 'us', day: 1 }, 3)];
  for (const keyCoder of [coders.object<Key>({ canonical: true }), coders.object<Key>({ fields: { region: 'string', day: 'int' } })]) {
    const input = p.apply(create(elements, { coder: coders.kv(keyCoder, coders.varInt()) }));
    const grouped = input.apply(groupByKey());
    const keyBytes = (k: Key): string => Buffer.from(encodeToBytes(keyCoder, k)).toString('hex');
    assert.equal(keyBytes(elements[0]!.key), keyBytes(elements[1]!.key), `${keyCoder.name}: field order does not change the key's bytes`);
    assertThat(grouped.map((g) => kv(`${g.key.region}/${g.key.day}`, [...g.value].sort()))).containsInAnyOrder([kv('eu/1', [1, 2]), kv('us/1', [3])]);
  }
  await p.run();
});

