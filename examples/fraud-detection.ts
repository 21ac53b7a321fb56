// Fraud detection on card transactions (the seed's scenario S1): transactions from Kafka → per-card state with
// velocity features → rules → alerts to a Kafka topic, and every scored transaction to a Delta table.
//
//   - io.kafka.read the `transactions` topic (JSON values; event time from the `ts` field; read_committed);
//   - a side input: card profiles (`card`, `home_country`) read from a Delta table, as a map by card;
//   - keyed by card, a stateful step keeps each card's transactions of the last 7 days (event time) and computes,
//     over the card's *earlier* transactions: how many in the last 1 h / 24 h / 7 d, the amount spent in the last
//     24 h, and the average amount over 7 d;
//   - rules: `amount_over_5x_avg` (amount > 5 × the 7-day average, with at least 3 earlier transactions in 7 days),
//     `country_mismatch` (the transaction's country differs from the profile's home country), `amount_over_10000`;
//     a card without a profile is scored `no_profile` (and its country is not checked);
//   - transactions that break a rule go to the `alerts` topic (key: the card) with exactly-once transactions;
//   - every scored transaction goes to a Delta table, one commit per day of event time (when the watermark passes it);
//   - a transaction that does not decode goes with its raw bytes to <scored>-errors (JSON Lines).
// A card's transactions share a partition (the producer keys them by card), so its state sees them in order.
// With --follow=false (the default) the read ends at the topic's end offsets when it opened (a batch over what is
// there); --follow=true keeps reading. Run with --checkpoint-dir to get exactly-once across restarts.
//
//   riffle run examples/fraud-detection.ts --brokers=localhost:9092 --profiles=data/profiles --scored=out/scored
//   riffle run examples/fraud-detection.ts --brokers=localhost:9092 --seed=true ...   (creates topics and sample data first)
import { isMainThread } from 'node:worker_threads';
import { create, io, kv, Pipeline, parDo, state, trigger, view, window, type KV, type PCollection, type PTransform } from 'riffle';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** A card transaction as published to the topic. */
export interface Transaction {
  readonly id: string;
  readonly card: string;
  readonly amount: number;
  readonly country: string;
  /** Event time, ms since the epoch. */
  readonly ts: number;
}

/** A card's profile row in the Delta table. */
export interface Profile {
  readonly card: string;
  readonly home_country: string;
}

/** A scored transaction: the row written to Delta (and, when `rules` is not empty, the alert). */
export interface Scored {
  readonly tx_id: string;
  readonly card: string;
  readonly amount: number;
  readonly country: string;
  readonly home_country: string | null;
  readonly ts: Date;
  readonly tx_1h: number;
  readonly tx_24h: number;
  readonly tx_7d: number;
  readonly amount_24h: number;
  readonly avg_7d: number | null;
  /** The rules broken, comma-separated ('' when none). */
  readonly rules: string;
}

/** What the state keeps per card: its transactions of the last 7 days, [ts, amount]. */
type Recent = [number, number][];

/**
 * Scores one transaction against the card's earlier ones (pure: the example's step and its test use it).
 * Returns the score and the card's recent transactions to keep.
 */
export function score(t: Transaction, recent: Recent, profile: Profile | undefined): { scored: Scored; keep: Recent } {
  const keep = recent.filter(([ts]) => ts > t.ts - WEEK);
  let tx1h = 0;
  let tx24h = 0;
  let amount24h = 0;
  let sum7d = 0;
  for (const [ts, amount] of keep) {
    if (ts > t.ts) continue; // a later transaction that arrived earlier does not count for this one
    sum7d += amount;
    if (ts > t.ts - DAY) {
      tx24h++;
      amount24h += amount;
    }
    if (ts > t.ts - HOUR) tx1h++;
  }
  const earlier = keep.filter(([ts]) => ts <= t.ts).length;
  const avg7d = earlier > 0 ? sum7d / earlier : null;
  const rules: string[] = [];
  if (avg7d !== null && earlier >= 3 && t.amount > 5 * avg7d) rules.push('amount_over_5x_avg');
  if (!profile) rules.push('no_profile');
  else if (t.country !== profile.home_country) rules.push('country_mismatch');
  if (t.amount > 10_000) rules.push('amount_over_10000');
  keep.push([t.ts, t.amount]);
  return {
    scored: {
      tx_id: t.id,
      card: t.card,
      amount: t.amount,
      country: t.country,
      home_country: profile?.home_country ?? null,
      ts: new Date(t.ts),
      tx_1h: tx1h,
      tx_24h: tx24h,
      tx_7d: earlier,
      amount_24h: Math.round(amount24h * 100) / 100,
      avg_7d: avg7d === null ? null : Math.round(avg7d * 100) / 100,
      rules: rules.join(','),
    },
    keep,
  };
}

/** Deterministic sample data: `n` transactions of `cards` cards over 3 days from `start`, some of them suspicious. */
export function generateTransactions(n: number, cards: number, start: number): Transaction[] {
  let seed = 42;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const out: Transaction[] = [];
  for (let i = 0; i < n; i++) {
    const card = `card-${String(i % cards).padStart(4, '0')}`;
    const home = homeCountry(i % cards);
    const r = rand();
    const amount = r < 0.01 ? 12_000 + Math.round(rand() * 5000) : r < 0.04 ? 800 + Math.round(rand() * 400) : 10 + Math.round(rand() * 9000) / 100;
    const country = rand() < 0.03 ? 'ZZ' : home;
    out.push({ id: `tx-${i}`, card, amount, country, ts: start + Math.floor((i / n) * 3 * DAY) });
  }
  return out;
}

const COUNTRIES = ['FR', 'DE', 'US', 'GB', 'ES'];
const homeCountry = (card: number) => COUNTRIES[card % COUNTRIES.length]!;

/** Profiles of the first `cards` cards but the last one (a card without a profile). */
export function generateProfiles(cards: number): Profile[] {
  return Array.from({ length: cards - 1 }, (_, c) => ({ card: `card-${String(c).padStart(4, '0')}`, home_country: homeCountry(c) }));
}

/** Creates the topics, publishes the sample transactions (keyed by card) and writes the profiles table. */
export async function seed(o: { brokers: string[]; transactions: string; alerts: string; profiles: string; count: number; cards: number; start: number }): Promise<void> {
  const { Admin, Producer } = await import('@platformatic/kafka');
  const admin = new Admin({ clientId: 'fraud-seed', bootstrapBrokers: o.brokers });
  const existing = new Set(await admin.listTopics());
  const missing = [o.transactions, o.alerts].filter((t) => !existing.has(t));
  if (missing.length > 0) await admin.createTopics({ topics: missing, partitions: 3, replicas: 1 });
  await admin.close();
  const producer = new Producer({ clientId: 'fraud-seed', bootstrapBrokers: o.brokers, idempotent: true });
  const txs = generateTransactions(o.count, o.cards, o.start);
  for (let i = 0; i < txs.length; i += 1000) {
    await producer.send({ messages: txs.slice(i, i + 1000).map((t) => ({ topic: o.transactions, key: Buffer.from(t.card), value: Buffer.from(JSON.stringify(t)), timestamp: BigInt(t.ts) })) });
  }
  await producer.send({ messages: [{ topic: o.transactions, key: Buffer.from('card-0000'), value: Buffer.from('{"id": "broken') }] });
  await producer.close();
  const p = Pipeline.create();
  p.apply(create(generateProfiles(o.cards))).apply(io.delta.write<Profile>(o.profiles, { mode: 'overwrite' }));
  await p.run();
}

export default Pipeline.define(
  {
    description: 'Fraud detection: card transactions from Kafka, velocity features per card, profile rules → alerts to Kafka, scores to Delta.',
    params: {
      brokers: { type: 'string', default: 'localhost:9092', description: 'Kafka bootstrap brokers, comma-separated' },
      transactions: { type: 'string', default: 'transactions', description: 'the topic of card transactions (JSON)' },
      alerts: { type: 'string', default: 'alerts', description: 'the topic alerts go to' },
      profiles: { type: 'string', default: 'data/card-profiles', description: 'the Delta table of card profiles (card, home_country)' },
      scored: { type: 'string', default: 'out/scored-transactions', description: 'the Delta table scored transactions go to' },
      follow: { type: 'boolean', default: false, description: 'keep reading (false: stop at the end offsets of when the read opened)' },
      seed: { type: 'boolean', default: false, description: 'create the topics and publish sample data first' },
      count: { type: 'integer', default: 20_000, description: 'with --seed: how many transactions' },
      cards: { type: 'integer', default: 200, description: 'with --seed: how many cards' },
      start: { type: 'integer', default: 1_700_000_000_000, description: 'with --seed: event time of the first transaction, ms' },
    },
  },
  async (p, { brokers: brokerList, transactions, alerts, profiles, scored, follow, seed: seedFirst, count, cards, start }) => {
    const brokers = brokerList.split(',').map((b) => b.trim()).filter((b) => b !== '');
    if (seedFirst && isMainThread) await seed({ brokers, transactions, alerts, profiles, count, cards, start });

    const byCard = p
      .apply('ReadProfiles', io.delta.read(profiles))
      .map((r) => kv(String(r.card), { card: String(r.card), home_country: String(r.home_country) } as Profile), 'ProfileByCard')
      .apply('Profiles', view.asMap<string, Profile>());

    const { main: messages, errors } = p.apply(
      'ReadTransactions',
      io.kafka.read<Transaction>(transactions, { brokers, timestampPolicy: { field: 'ts' }, ...(follow ? {} : { stopAt: 'latest' as const }) }).withErrors(),
    );
    errors
      .apply('ErrorsEvery10s', window.into(window.global(), { trigger: trigger.repeatedly(trigger.afterProcessingTime('10s')) }))
      .apply('WriteErrors', io.files.writeJsonl(`${scored}-errors/errors`, { numShards: 1 }));

    const scoredRows = messages
      .map((m) => kv(m.value!.card, m.value!), 'KeyByCard')
      .apply(
        'Score',
        parDo({
          state: { recent: state.value<Recent>() },
          sideInputs: { byCard },
          process({ value: t }: KV<string, Transaction>, ctx) {
            const { scored: s, keep } = score(t, ctx.state.recent.read() ?? [], ctx.side.byCard.get(t.card));
            ctx.state.recent.write(keep);
            ctx.output(s);
          },
        }) as PTransform<PCollection<KV<string, Transaction>>, PCollection<Scored>>,
      );

    scoredRows
      .filter((s) => s.rules !== '', 'Alerts')
      .apply('WriteAlerts', io.kafka.write<Scored>(alerts, { brokers, key: (s) => s.card, value: (s) => ({ ...s, ts: s.ts.toISOString() }), exactlyOnce: true }));
    scoredRows
      .apply('Daily', window.into<Scored>(window.fixed('1d')))
      .apply('WriteScored', io.delta.write<Scored>(scored));
  },
);
