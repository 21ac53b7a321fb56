import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coders } from '../../model/index.ts';
import { fieldTimestamp } from './kafka-source.ts';
import { payloadCodec } from './kafka-format.ts';
import { read, resolveRead, resolveWrite, write } from './index.ts';

const brokers = ['localhost:9092'];

describe('io.kafka options', () => {
  it('resolves defaults and start offsets per partition or per topic', () => {
    const r = resolveRead('payments', { brokers: 'a:1, b:2' });
    assert.deepEqual(r.brokers, ['a:1', 'b:2']);
    assert.equal(r.startOffsets, 'earliest');
    assert.equal(r.timestampPolicy, 'create');
    assert.equal(r.readCommitted, true);
    assert.deepEqual([...(resolveRead('p', { brokers, startOffsets: { 0: 10, 3: 7 } }).startOffsets as Map<string, number>)], [['p:0', 10], ['p:3', 7]]);
    assert.deepEqual([...(resolveRead(['p', 'q'], { brokers, startOffsets: { q: { 1: 5 } } }).startOffsets as Map<string, number>)], [['q:1', 5]]);
  });

  it('rejects unknown keys, bad values and impossible combinations before anything runs, naming the option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => read('t', { brokers, groupid: 'x' } as never), /unknown option 'groupid'.*\n.*options are/],
      [() => read('t', {} as never), /option 'brokers' is required/],
      [() => read('t', { brokers: ['localhost'] }), /broker "localhost" is not host:port/],
      [() => read('bad topic!', { brokers }), /not a Kafka topic name/],
      [() => read([], { brokers }), /non-empty list of topics/],
      [() => read(['a', 'a'], { brokers }), /listed twice/],
      [() => read('t', { brokers, format: 'xml' as never }), /'format' must be one of json, text, raw, avro/],
      [() => read('t', { brokers, format: 'avro' }), /needs option 'schema'/],
      [() => read('t', { brokers, schema: {} }), /only for format 'avro'/],
      [() => read('t', { brokers, format: 'json', valueCoder: coders.string() }), /format or valueCoder, not both/],
      [() => read('t', { brokers, timestampPolicy: 'ingest' as never }), /'timestampPolicy' must be/],
      [() => read('t', { brokers, format: 'text', timestampPolicy: { field: 'ts' } }), /reads a field of the value/],
      [() => read('t', { brokers, startOffsets: { 0: -1 } }), /must be an offset/],
      [() => read(['a', 'b'], { brokers, startOffsets: { 0: 1 } }), /needs a single topic/],
      [() => read(['a'], { brokers, startOffsets: { z: { 0: 1 } } }), /names topic 'z', which the read does not read/],
      [() => read('t', { brokers, idleTimeout: 'soon' }), /option 'idleTimeout'/],
      [() => read('t', { brokers, stopAt: 'end' as never }), /'stopAt' must be 'latest'/],
      [() => read('t', { brokers, isolation: 'serializable' as never }), /'isolation' must be/],
      [() => write('t', { brokers, key: 'id' as never }), /'key' must be a function/],
      [() => write('t', { brokers, transactionalIdPrefix: 'x' }), /for exactlyOnce: true/],
      [() => write('t', { brokers, exactlyOnce: true, transactionTimeout: 10 }), /at least 1s/],
    ];
    for (const [f, re] of cases) {
      assert.throws(f, (e: Error & { code?: string }) => {
        assert.equal(e.code, 'CONFIG_INVALID', e.message);
        assert.match(e.message, re);
        return true;
      });
    }
    assert.equal(resolveWrite('t', { brokers, exactlyOnce: true }).transactionalIdPrefix, undefined, 'the writer adds its step to the default');
    assert.equal(resolveWrite('t', { brokers, exactlyOnce: true, transactionalIdPrefix: 'app' }).transactionalIdPrefix, 'app');
  });
});

describe('io.kafka formats', () => {
  it('decodes and encodes json, text, raw, a coder and avro, with reasons for what does not decode', async () => {
    const json = payloadCodec({ format: 'json' }, 'x');
    assert.deepEqual(json.decode(json.encode({ a: 1n, b: [1, 'x'] })), { a: 1, b: [1, 'x'] });
    assert.throws(() => json.decode(Buffer.from('{oops')), /the data is not JSON/);
    assert.throws(() => json.decode(Buffer.from([0xff])), /not valid UTF-8/);
    const text = payloadCodec({ format: 'text' }, 'x');
    assert.equal(text.decode(text.encode('héllo')), 'héllo');
    assert.throws(() => text.encode(5), /format 'text' writes a string, not a number/);
    const raw = payloadCodec({ format: 'raw' }, 'x');
    assert.deepEqual([...(raw.decode(raw.encode(new Uint8Array([1, 2]))) as Uint8Array)], [1, 2]);
    const coder = payloadCodec({ format: 'json', coder: coders.varInt() as never }, 'x');
    assert.equal(coder.decode(coder.encode(300)), 300);
    assert.throws(() => coder.decode(new Uint8Array([1, 2])), /trailing bytes/);
    const avsc = (await import('avsc')).default;
    const schema = { type: 'record', name: 'P', fields: [{ name: 'id', type: 'int' }, { name: 'card', type: 'string' }] };
    const avro = payloadCodec({ format: 'avro', schema }, 'x', avsc as never);
    assert.deepEqual({ ...(avro.decode(avro.encode({ id: 3, card: 'c' })) as object) }, { id: 3, card: 'c' });
    assert.throws(() => avro.encode({ id: 'three', card: 'c' }), /does not match the Avro schema at id/);
    assert.throws(() => avro.decode(Buffer.from([0xff, 0xff, 0xff])), /not Avro of the given schema/);
    assert.throws(() => payloadCodec({ format: 'avro', schema: { type: 'nope' } }, 'io.kafka.read("t")', avsc as never), /io.kafka.read\("t"\): the Avro schema is invalid/);
  });

  it('reads event times from a field: ms since the epoch or RFC 3339, else a reason', () => {
    assert.equal(fieldTimestamp({ ts: 1700000000000 }, 'ts'), 1700000000000);
    assert.equal(fieldTimestamp({ ts: '1700000000000' }, 'ts'), 1700000000000);
    assert.equal(fieldTimestamp({ ts: '2023-11-14T22:13:20Z' }, 'ts'), 1700000000000);
    assert.throws(() => fieldTimestamp({ ts: 'noon' }, 'ts'), /'ts' is "noon": not ms since the epoch nor an RFC 3339 time/);
    assert.throws(() => fieldTimestamp({}, 'ts'), /'ts' is missing/);
    assert.throws(() => fieldTimestamp('x', 'ts'), /not an object/);
  });
});
