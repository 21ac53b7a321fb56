// End-to-end test of examples/fraud-detection.ts on a real Kafka broker (.ci/tiers/kafka.sh runs it; skipped without
// RIFFLE_KAFKA_BROKERS unless RIFFLE_INTEGRATION=1): sample transactions (and one malformed message) are published,
// profiles written to Delta, the example runs (checkpointed) to the end offsets; then every transaction's scored row in
// Delta equals the reference scoring (features and rules), the alerts topic holds exactly the transactions that broke a
// rule (read_committed, each once), and the malformed message is in the errors file with its raw bytes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pipeline } from 'riffle';
import { DeltaTable } from 'riffle/lakehouse';
import * as kafka from '../src/io/kafka/index.ts';
import fraud, { generateProfiles, generateTransactions, score, type Scored, type Transaction } from './fraud-detection.ts';

const brokersEnv = process.env.RIFFLE_KAFKA_BROKERS;
if (!brokersEnv && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_KAFKA_BROKERS is not set');
const skip = brokersEnv ? false : 'needs RIFFLE_KAFKA_BROKERS (run .ci/tiers/kafka.sh)';

test('score: velocity over the card\'s earlier transactions of 1 h / 24 h / 7 d and the three rules', () => {
  const t = (ts: number, amount: number, country = 'FR'): Transaction => ({ id: `t${ts}`, card: 'c', amount, country, ts });
  const H = 3_600_000;
  const profile = { card: 'c', home_country: 'FR' };
  let recent: [number, number][] = [];
  const run = (tx: Transaction) => {
    const r = score(tx, recent, profile);
    recent = r.keep;
    return r.scored;
  };
  run(t(0, 100));
  run(t(10 * H, 100));
  run(t(30 * H, 100));
  const s = run(t(30 * H + 60_000, 600, 'DE'));
  assert.deepEqual([s.tx_1h, s.tx_24h, s.tx_7d, s.amount_24h, s.avg_7d], [1, 2, 3, 200, 100]);
  assert.equal(s.rules, 'amount_over_5x_avg,country_mismatch');
  const later = run(t(8 * 24 * H + 31 * H, 20_000));
  assert.deepEqual([later.tx_7d, later.rules], [0, 'amount_over_10000'], 'transactions older than 7 days are forgotten');
  assert.equal(score(t(0, 1), [], undefined).scored.rules, 'no_profile');
});

test('fraud-detection: Kafka → per-card features and rules → alerts to Kafka (exactly-once) and scores to Delta', { skip, timeout: 180_000 }, async () => {
  const brokers = brokersEnv!;
  const id = randomUUID().slice(0, 8);
  const work = mkdtempSync(join(tmpdir(), 'riffle-fraud-'));
  const params = {
    brokers,
    transactions: `fraud-tx-${id}`,
    alerts: `fraud-alerts-${id}`,
    profiles: join(work, 'profiles'),
    scored: join(work, 'scored'),
    seed: 'true',
    count: '3000',
    cards: '40',
    start: '1700000000000',
  };
  try {
    const p = Pipeline.create();
    await fraud.build(p, fraud.parseParams(params));
    const result = await p.run({ checkpointDir: join(work, 'checkpoints'), checkpointIntervalMs: 500, log: () => {} });
    assert.equal(result.state, 'DONE');
    assert.ok(result.metrics.steps.every((x) => x.droppedLate === 0), 'nothing dropped as late');

    // The reference: each card's transactions in the order they were published.
    const txs = generateTransactions(3000, 40, 1_700_000_000_000);
    const profiles = new Map(generateProfiles(40).map((pr) => [pr.card, pr]));
    const recent = new Map<string, [number, number][]>();
    const want = new Map<string, Scored>();
    for (const t of txs) {
      const r = score(t, recent.get(t.card) ?? [], profiles.get(t.card));
      recent.set(t.card, r.keep);
      want.set(t.id, r.scored);
    }

    const rows = await (await DeltaTable.open(params.scored)).read();
    assert.equal(rows.length, txs.length, 'every transaction scored once');
    for (const row of rows) {
      const w = want.get(String(row.tx_id))!;
      assert.ok(w, `unexpected ${String(row.tx_id)}`);
      assert.deepEqual(
        { card: row.card, rules: row.rules, tx_1h: Number(row.tx_1h), tx_24h: Number(row.tx_24h), tx_7d: Number(row.tx_7d), amount_24h: row.amount_24h, avg_7d: row.avg_7d, home: row.home_country },
        { card: w.card, rules: w.rules, tx_1h: w.tx_1h, tx_24h: w.tx_24h, tx_7d: w.tx_7d, amount_24h: w.amount_24h, avg_7d: w.avg_7d, home: w.home_country },
        String(row.tx_id),
      );
    }
    const alerting = [...want.values()].filter((s) => s.rules !== '');
    for (const rule of ['amount_over_5x_avg', 'country_mismatch', 'amount_over_10000', 'no_profile']) {
      assert.ok(alerting.some((s) => s.rules.includes(rule)), `the sample data breaks ${rule}`);
    }

    // Read until every expected alert came (or 30 s), then 1 s more for duplicates: a transaction's commit markers
    // reach the partitions just after EndTxn returns, so a read bounded at the last stable offset of an early moment
    // (stopAt 'latest') could end before the last transaction's messages.
    const reader = await new kafka.KafkaSource<Scored>(kafka.resolveRead(params.alerts, { brokers })).open(undefined);
    const alerts = new Map<string, number>();
    const add = (values: readonly kafka.KafkaMessage<Scored>[] = []) => {
      for (const m of values) alerts.set(m.value!.tx_id, (alerts.get(m.value!.tx_id) ?? 0) + 1);
    };
    const deadline = Date.now() + 30_000;
    while (alerts.size < alerting.length && Date.now() < deadline) add((await reader.next(200))?.values);
    const until = Date.now() + 1000;
    while (Date.now() < until) add((await reader.next(200))?.values);
    await reader.close();
    assert.deepEqual([...alerts.keys()].sort(), alerting.map((s) => s.tx_id).sort(), 'the alerts are the transactions that broke a rule');
    assert.ok([...alerts.values()].every((n) => n === 1), 'each alert once');

    const errDir = `${params.scored}-errors`;
    const errors = readdirSync(errDir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(errDir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { error: string; element: string; origin: { topic: string } }));
    assert.equal(errors.length, 1);
    assert.equal(Buffer.from(errors[0]!.element, 'base64').toString(), '{"id": "broken');
    assert.equal(errors[0]!.origin.topic, params.transactions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
