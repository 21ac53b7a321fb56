/**
 * expect_column_kl_divergence_to_be_less_than for categorical partitions (`partition_object: { values, weights }`):
 * KL(observed ‖ expected) in nats, as GE computes it with scipy's `entropy(pk, qk)` — both distributions
 * normalized; values observed but not expected get `tail_weight_holdout` shared among them (expected weights
 * scaled by 1 − holdout); without a holdout such a value makes the divergence infinite, reported as
 * `observed_value: null` and a failure.
 *
 * Continuous partitions (`partition_object: { bins, weights, tail_weights? }`, bins as numpy.histogram edges:
 * [b0, b1), …, [b(k−1), bk] — the last bin closed) follow GE's PandasDataset: observed weights are bin counts over
 * the non-missing count; values below b0 and above bk form two tails, expected to hold `tail_weights` (or
 * `tail_weight_holdout`, halved) while the bins' weights shrink by (1 − tail_weight_holdout − internal_weight_holdout),
 * and `internal_weight_holdout` is shared among empty bins. An infinite end (−∞ or +∞, `.inf` in YAML) makes its
 * outermost bin the tail. KL is scipy's entropy of the combined (tails + bins) weights. The bin of each value is
 * found in the same single pass (a profile over the bin index), so memory is one counter per bin.
 */
import { columnOf, columnProfile, missingCounts, type CompiledExpectation, type Evaluation, type Kwargs } from '../expectation.ts';
import { SuiteError } from '../quality-error.ts';
import type { ExpectationConfig } from '../result.ts';
import { resultValue, valueKey } from '../values.ts';

export function klDivergenceLessThan(config: ExpectationConfig, args: Kwargs): CompiledExpectation {
  const column = columnOf(args);
  const partition = args.raw.partition_object as { values?: unknown[]; weights?: number[]; bins?: number[] } | undefined;
  if (partition?.bins !== undefined) return continuousKl(config, args, column, partition as ContinuousPartition);
  if (!Array.isArray(partition?.values) || !Array.isArray(partition.weights) || partition.values.length !== partition.weights.length) {
    throw new SuiteError(`${config.expectation_type}: partition_object needs values and weights of the same length`);
  }
  const sum = partition.weights.reduce((a, b) => a + b, 0);
  if (!partition.weights.every((w) => typeof w === 'number' && w >= 0) || Math.abs(sum - 1) > 1e-9) {
    throw new SuiteError(`${config.expectation_type}: partition_object weights must be non-negative and sum to 1, got a sum of ${sum}`, { hint: 'GE rejects such a partition too' });
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
      return klEvaluation(entropy(pk, qk), threshold, p, {
        observed_partition: { values: values.map(resultValue), weights: pk }, expected_partition: { values: values.map(resultValue), weights: qk },
      });
    },
  };
}

/** GE's KL result: passes when no threshold is set or the divergence is at most it; an infinite one shows as null. */
function klEvaluation(kl: number, threshold: number | undefined, p: { readonly elements: number; readonly missing: number }, details: Record<string, unknown>): Evaluation {
  return { success: threshold === undefined ? true : kl <= threshold, result: { observed_value: Number.isFinite(kl) ? kl : null, ...missingCounts(p), details } };
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

interface ContinuousPartition {
  bins: number[];
  weights: number[];
  tail_weights?: [number, number];
}

/** The bin of x among edges (numpy.histogram): −1 below, k above, the last bin closed. */
function binOf(edges: readonly number[], x: number): number {
  const k = edges.length - 1;
  if (x < edges[0]!) return -1;
  if (x > edges[k]!) return k;
  if (x === edges[k]) return k - 1;
  let lo = 0;
  let hi = k; // edges[lo] <= x < edges[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

function continuousKl(config: ExpectationConfig, args: Kwargs, column: string, partition: ContinuousPartition): CompiledExpectation {
  const type = config.expectation_type;
  const { bins, weights } = partition;
  const bad = (what: string): never => {
    throw new SuiteError(`${type}: ${what}`, { hint: 'partition_object: { bins: [b0, ..., bk], weights: [w1, ..., wk] } with increasing bins and weights summing to 1' });
  };
  if (!Array.isArray(bins) || bins.length < 2 || !bins.every((b) => typeof b === 'number' && !Number.isNaN(b))) bad('bins must be a list of at least two numbers');
  if (!bins.every((b, i) => i === 0 || b > bins[i - 1]!)) bad('bins must increase');
  if (!Array.isArray(weights) || weights.length !== bins.length - 1 || !weights.every((w) => typeof w === 'number' && w >= 0)) bad(`weights must be ${bins.length - 1} non-negative numbers (one per bin)`);
  const tails = partition.tail_weights;
  const total = weights.reduce((a, b) => a + b, 0) + (tails ? tails[0] + tails[1] : 0);
  if (Math.abs(total - 1) > 1e-9) bad(`weights${tails ? ' and tail_weights' : ''} must sum to 1, got ${total}`);
  const threshold = args.optionalNumber('threshold');
  if (threshold !== undefined && threshold < 0) bad('threshold must be ≥ 0');
  const tailHoldout = args.optionalNumber('tail_weight_holdout') ?? 0;
  const internalHoldout = args.optionalNumber('internal_weight_holdout') ?? 0;
  if (tailHoldout < 0 || tailHoldout > 1 || internalHoldout < 0 || internalHoldout > 1) bad('tail_weight_holdout and internal_weight_holdout must be between 0 and 1');
  if (tailHoldout !== 0 && tails) bad('tail_weight_holdout must be 0 when the partition has tail_weights');
  const lowInf = bins[0] === -Infinity;
  const highInf = bins.at(-1) === Infinity;
  if ((lowInf || highInf) && tails) bad('there can be no tail_weights with an infinite end');
  if (lowInf && highInf && tailHoldout > 0) bad('tail_weight_holdout cannot be used when both ends are infinite');
  const k = bins.length - 1;
  const domain = `kl-bins(${column};${JSON.stringify(bins)})`;
  return {
    config,
    columns: [column],
    profiles: [{
      domain,
      extract: (row) => {
        const v = row[column];
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return null;
        return typeof v === 'number' ? binOf(bins, v) : 'non-numeric';
      },
      needs: { distinct: true },
    }],
    evaluate: (m) => {
      const p = m.profile(domain);
      const counts = p.valueCounts()!;
      const nonNumeric = counts.get('non-numeric');
      if (nonNumeric !== undefined) throw new SuiteError(`${type} on '${column}': ${nonNumeric} non-numeric values`);
      const nonNull = p.present;
      const share = (bin: number) => (nonNull === 0 ? 0 : (counts.get(bin) ?? 0) / nonNull);
      const observed = Array.from({ length: k }, (_, i) => share(i));
      const below = share(-1);
      const above = share(k);
      const expected = weights.map((w) => w * (1 - tailHoldout - internalHoldout));
      if (internalHoldout > 0) {
        const zeros = expected.filter((w) => w === 0).length;
        if (zeros > 0) for (let i = 0; i < expected.length; i++) if (expected[i] === 0) expected[i] = internalHoldout / zeros;
      }
      let pk: number[];
      let qk: number[];
      let shownBins: number[];
      let observedMain: number[];
      let expectedMain: number[];
      let observedTails: number[];
      let expectedTails: number[];
      if (lowInf && highInf) {
        [pk, qk, shownBins] = [observed, expected, bins.slice(1, -1)];
        [observedMain, expectedMain] = [observed.slice(1, -1), expected.slice(1, -1)];
        [observedTails, expectedTails] = [[observed[0]!, observed[k - 1]!], [expected[0]!, expected[k - 1]!]];
      } else if (lowInf) {
        [pk, qk, shownBins] = [[...observed, above], [...expected, tailHoldout], bins.slice(1)];
        [observedMain, expectedMain] = [observed.slice(1), expected.slice(1)];
        [observedTails, expectedTails] = [[observed[0]!, above], [expected[0]!, tailHoldout]];
      } else if (highInf) {
        [pk, qk, shownBins] = [[below, ...observed], [tailHoldout, ...expected], bins.slice(0, -1)];
        [observedMain, expectedMain] = [observed.slice(0, -1), expected.slice(0, -1)];
        [observedTails, expectedTails] = [[below, observed[k - 1]!], [tailHoldout, expected[k - 1]!]];
      } else {
        const t = tails ?? [tailHoldout / 2, tailHoldout / 2];
        [pk, qk, shownBins] = [[below, ...observed, above], [t[0], ...expected, t[1]], bins];
        [observedMain, expectedMain] = [observed, expected];
        [observedTails, expectedTails] = [[below, above], [t[0], t[1]]];
      }
      return klEvaluation(nonNull === 0 ? NaN : entropy(pk, qk), threshold, p, {
        observed_partition: { bins: shownBins, weights: observedMain, tail_weights: observedTails },
        expected_partition: { bins: shownBins, weights: expectedMain, tail_weights: expectedTails },
      });
    },
  };
}
