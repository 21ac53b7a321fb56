/**
 * expect_column_kl_divergence_to_be_less_than for categorical partitions (`partition_object: { values, weights }`):
 * KL(observed ‖ expected) in nats, as GE computes it with scipy's `entropy(pk, qk)` — both distributions
 * normalized; values observed but not expected get `tail_weight_holdout` shared among them (expected weights
 * scaled by 1 − holdout); without a holdout such a value makes the divergence infinite, reported as
 * `observed_value: null` and a failure. Continuous partitions (`bins`) are not implemented yet.
 */
import { columnOf, columnProfile, type CompiledExpectation, type Kwargs } from '../expectation.ts';
import { SuiteError } from '../quality-error.ts';
import type { ExpectationConfig } from '../result.ts';
import { resultValue, valueKey } from '../values.ts';

export function klDivergenceLessThan(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const column = columnOf(args);
  const partition = args.raw.partition_object as { values?: unknown[]; weights?: number[]; bins?: number[] } | undefined;
  if (partition?.bins !== undefined) throw new SuiteError(`${config.expectation_type}: continuous partitions (bins) are not supported yet`, { hint: 'use a categorical partition_object { values, weights }' });
  if (!Array.isArray(partition?.values) || !Array.isArray(partition.weights) || partition.values.length !== partition.weights.length) {
    throw new SuiteError(`${config.expectation_type}: partition_object needs values and weights of the same length`);
  }
  const threshold = args.optionalNumber('threshold');
  const holdout = args.optionalNumber('tail_weight_holdout') ?? 0;
  const expectedValues = partition.values;
  const expectedWeights = partition.weights;
  return {
    config,
    columns: [column],
    profiles: [columnProfile(column, { distinct: true })],
    evaluate: (m) => {
      const p = m.profile(column);
      const counts = p.valueCounts();
      if (counts === undefined) throw new SuiteError(`${config.expectation_type} on '${column}': too many distinct values for a categorical partition`);
      const nonNull = p.present;
      // Expected values first (in the partition's order), then values only observed, as GE's pd.concat.
      const values: unknown[] = [...expectedValues];
      const keys = new Set(expectedValues.map(valueKey));
      for (const v of counts.keys()) if (!keys.has(valueKey(v))) values.push(v);
      const observedByKey = new Map<unknown, number>();
      for (const [v, c] of counts) observedByKey.set(valueKey(v), c / nonNull);
      const unexpectedN = values.length - expectedValues.length;
      const pk = values.map((v) => observedByKey.get(valueKey(v)) ?? 0);
      const qk = values.map((_, i) => (i < expectedValues.length ? expectedWeights[i]! * (unexpectedN > 0 ? 1 - holdout : 1) : holdout / unexpectedN));
      const kl = entropy(pk, qk);
      const finite = Number.isFinite(kl);
      return {
        success: threshold === undefined ? true : kl <= threshold,
        result: {
          observed_value: finite ? kl : null,
          element_count: p.elements,
          missing_count: p.missing,
          missing_percent: p.elements === 0 ? null : (p.missing / p.elements) * 100,
          details: { observed_partition: { values: values.map(resultValue), weights: pk }, expected_partition: { values: values.map(resultValue), weights: qk } },
        },
      };
    },
  };
}

/** scipy.stats.entropy(pk, qk): Σ p·ln(p/q) over normalized p and q. */
export function entropy(pk: readonly number[], qk: readonly number[]): number {
  const sp = pk.reduce((a, b) => a + b, 0);
  const sq = qk.reduce((a, b) => a + b, 0);
  let kl = 0;
  for (let i = 0; i < pk.length; i++) {
    const p = pk[i]! / sp;
    const q = qk[i]! / sq;
    if (p === 0) continue;
    if (q === 0) return Infinity;
    kl += p * Math.log(p / q);
  }
  return kl;
}
