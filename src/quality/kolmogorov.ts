/**
 * Distributions of Kolmogorov–Smirnov statistics, for p-values of KS tests (the same choices as scipy.stats, so
 * results agree with Great Expectations, which calls scipy):
 *
 *  - `kolmogorovSf(x)`: the limiting (asymptotic) distribution of √n·Dn, Q(x) = 2 Σ (−1)^(k−1) e^(−2k²x²), with the
 *    theta-function form for small x (scipy's `kstwobign.sf`).
 *  - `kstwoSf(d, n)`: P(Dn ≥ d) for the two-sided one-sample statistic with n values (scipy's `kstwo.sf`), following
 *    Simard & L'Ecuyer (2011): exact closed forms at the ends (Ruben–Gambino), 2 × the one-sided Smirnov tail where
 *    that is exact (d ≥ 1/2) or accurate (large n·d²), the Durbin matrix (Marsaglia–Tsang–Wang) for n ≤ 140 and for
 *    small n·d^1.5, and the Pelz–Good expansion for large n.
 *  - `smirnovSf(n, d)`: P(Dn+ ≥ d), one-sided, by the Birnbaum–Tingey sum.
 *  - `ks2SampleSf(n1, n2, d)`: the two-sample p-value as `scipy.stats.ks_2samp(method='auto')` computes it: exact
 *    (lattice paths staying inside the band, counted as probabilities) when both samples have at most 10 000
 *    values, else `kstwoSf(d, round(n1·n2/(n1+n2)))`.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI * Math.PI;

const clip = (p: number) => (p < 0 ? 0 : p > 1 ? 1 : p);

/** P(K ≥ x) for the Kolmogorov distribution (the limit of √n·Dn). */
export function kolmogorovSf(x: number): number {
  if (!(x > 0)) return 1;
  if (x < 1) {
    // CDF = √(2π)/x Σ e^(−(2k−1)²π²/(8x²)), converging fast for small x.
    let cdf = 0;
    for (let k = 1; k < 100; k++) {
      const t = Math.exp(-((2 * k - 1) ** 2) * PI2 / (8 * x * x));
      cdf += t;
      if (t < 1e-17 * cdf) break;
    }
    return clip(1 - (SQRT_2PI / x) * cdf);
  }
  let sf = 0;
  for (let k = 1; k < 100; k++) {
    const t = Math.exp(-2 * k * k * x * x);
    sf += k % 2 === 1 ? t : -t;
    if (t < 1e-17) break;
  }
  return clip(2 * sf);
}

/** P(Dn+ ≥ d): the one-sided Smirnov tail, exact (Birnbaum–Tingey), summed in logs. */
export function smirnovSf(n: number, d: number): number {
  if (!(d > 0)) return 1;
  if (d >= 1) return 0;
  const last = Math.floor(n * (1 - d) + 1e-12);
  let sum = 0;
  let logC = 0; // log C(n, j)
  const logD = Math.log(d);
  for (let j = 0; j <= last; j++) {
    if (j > 0) logC += Math.log((n - j + 1) / j);
    const rest = 1 - d - j / n;
    if (rest <= 0) {
      if (n - j === 0) sum += Math.exp(logC + logD + (j - 1) * Math.log(d + j / n));
      continue;
    }
    sum += Math.exp(logC + logD + (j - 1) * Math.log(d + j / n) + (n - j) * Math.log1p(-d - j / n));
  }
  return clip(sum);
}

/** log(n!/nⁿ), exactly summed for small n, by Stirling's series for large n. */
function logFactorialOverPower(n: number): number {
  if (n <= 1000) {
    let s = 0;
    for (let i = 1; i <= n; i++) s += Math.log(i / n);
    return s;
  }
  const r = 1 / n;
  // log n! − n log n = log(2πn)/2 − n + 1/(12n) − 1/(360n³) + 1/(1260n⁵)
  return 0.5 * Math.log(2 * Math.PI * n) - n + r / 12 - r ** 3 / 360 + r ** 5 / 1260;
}

/**
 * P(Dn < d) by the Durbin matrix: with k = ⌈nd⌉, h = k − nd and the (2k−1)² matrix H of Marsaglia, Tsang and Wang,
 * P = n!/nⁿ · (Hⁿ)[k−1][k−1]. Powers by squaring, with a separate binary exponent so entries never overflow.
 */
export function durbinCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  if (d >= 1) return 1;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  // Entries 1/(i−j+1)! on and below the first superdiagonal.
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let i = 1; i <= m; i++) invFact[i] = invFact[i - 1]! / i;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = invFact[i - j + 1]!;
  // First column and last row lose h^i/i!; the corner gains (2h−1)^m/m! when 2h > 1.
  for (let i = 0; i < m; i++) {
    H[i * m] = H[i * m]! - h ** (i + 1) * invFact[i + 1]!;
    H[(m - 1) * m + i] = H[(m - 1) * m + i]! - h ** (m - i) * invFact[m - i]!;
  }
  if (2 * h - 1 > 0) H[(m - 1) * m] = H[(m - 1) * m]! + (2 * h - 1) ** m * invFact[m]!;
  // Hⁿ by squaring; scale by 2^±e to keep the tracked entry near 1.
  let result: Float64Array<ArrayBuffer> | undefined;
  let resultExp = 0;
  let base = H;
  let baseExp = 0;
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) {
      if (result === undefined) {
        result = base.slice();
        resultExp = baseExp;
      } else {
        result = multiply(result, base, m);
        resultExp += baseExp;
        resultExp += rescale(result, m, k);
      }
    }
    if (e > 1) {
      base = multiply(base, base, m);
      baseExp *= 2;
      baseExp += rescale(base, m, k);
    }
  }
  const logP = Math.log(result![(k - 1) * m + (k - 1)]!) + resultExp * Math.LN2 + logFactorialOverPower(n);
  return clip(Math.exp(logP));
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const x = a[i * m + l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += x * b[l * m + j]!;
    }
  }
  return out;
}

/** Scales a matrix by a power of two so its largest entry is about 1; returns the exponent taken out. */
function rescale(a: Float64Array, m: number, k: number): number {
  void k;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > max) max = v;
  }
  if (max === 0 || (max > 2 ** -200 && max < 2 ** 200)) return 0;
  const e = Math.round(Math.log2(max));
  const f = 2 ** -e;
  for (let i = 0; i < m * m; i++) a[i]! *= f;
  return e;
}

/**
 * P(Dn ≤ x) by the Pelz–Good asymptotic expansion K0 + K1/√n + K2/n + K3/n^(3/2) in z = x√n, each term written
 * with theta functions of q = e^(−π²/(8z²)) (sums over odd m) and e^(−π²/(2z²)) (sums over k).
 */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const logq = -PI2 / 8 / z2;
  if (logq < -745) return 0;
  const terms = Math.max(1, Math.ceil((16 * z) / Math.PI));
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 1; k <= terms; k++) {
    const mm = (2 * k - 1) ** 2;
    const qm = Math.exp(logq * mm);
    s0 += qm;
    s1 += (PI2 * mm / 4 - z2) * qm;
    s2 += (6 * z6 + 2 * z4 + (PI2 * (2 * z4 - 5 * z2) * mm) / 4 + (PI2 * PI2 * (1 - 2 * z2) * mm * mm) / 16) * qm;
    s3 += (-30 * z6 - 90 * z6 * z2 + (PI2 * (135 * z4 - 96 * z6) * mm) / 4 + (PI2 * PI2 * (212 * z4 - 60 * z2) * mm * mm) / 16 + (PI2 * PI2 * PI2 * (5 - 30 * z2) * mm * mm * mm) / 64) * qm;
  }
  let t2 = 0;
  let t3 = 0;
  for (let k = 1; k <= terms; k++) {
    const e = Math.exp((-PI2 * k * k) / 2 / z2);
    t2 += k * k * e;
    t3 += (3 * z2 - PI2 * k * k) * k * k * e;
  }
  const K0 = (SQRT_2PI / z) * s0;
  const K1 = (SQRT_2PI / (6 * z4)) * s1;
  const K2 = (SQRT_2PI / (72 * z6 * z)) * s2 - (PI2 * SQRT_2PI / (36 * z2 * z)) * t2;
  const K3 = (SQRT_2PI / (6480 * z4 * z6)) * s3 + (PI2 * SQRT_2PI / (216 * z6)) * t3;
  return K0 + K1 / Math.sqrt(n) + K2 / n + K3 / (n * Math.sqrt(n));
}

/** P(Dn ≥ d): the two-sided one-sample KS p-value for n values (scipy's `kstwo.sf`). */
export function kstwoSf(d: number, n: number): number {
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    // Ruben–Gambino: P(Dn ≤ d) = n!/nⁿ (2t − 1)ⁿ for 1/(2n) ≤ d ≤ 1/n.
    if (t <= 0.5) return 1;
    return clip(1 - Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1)));
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n);
  if (d >= 0.5) return clip(2 * smirnovSf(n, d));
  const nx2 = t * d;
  if (n <= 140) {
    if (nx2 <= 4) return clip(1 - durbinCdf(n, d));
    return clip(2 * smirnovSf(n, d));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, d));
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? durbinCdf(n, d) : pelzGoodCdf(n, d);
  return clip(1 - cdf);
}

/** Exact two-sample p-values are computed up to this many values per sample (scipy's MAX_AUTO_N). */
export const EXACT_TWO_SAMPLE_MAX = 10_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * P(D ≥ d) for two samples of n1 and n2 values. Exact: d is snapped to the lattice (h = round(d·lcm)), and the
 * probability that a uniformly random path from (0,0) to (n1,n2) keeps |i·n2 − j·n1| < h·g at every step is
 * accumulated step by step as probabilities (no huge path counts); the p-value is its complement.
 */
export function ks2SampleSf(n1: number, n2: number, d: number): { pvalue: number; method: 'exact' | 'asymptotic' } {
  if (Math.max(n1, n2) > EXACT_TWO_SAMPLE_MAX) {
    const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
    return { pvalue: kstwoSf(d, Math.round((m * n) / (m + n))), method: 'asymptotic' };
  }
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = Math.round(d * lcm);
  if (h === 0) return { pvalue: 1, method: 'exact' };
  const limit = h * g; // inside: |i·n2 − j·n1| < limit
  const N = n1 + n2;
  let prev = new Float64Array(n2 + 1);
  let cur = new Float64Array(n2 + 1);
  // Row i = 0: j steps only.
  prev[0] = 1;
  for (let j = 1; j <= n2; j++) prev[j] = j * n1 < limit ? prev[j - 1]! * ((n2 - j + 1) / (N - (j - 1))) : 0;
  for (let i = 1; i <= n1; i++) {
    cur.fill(0);
    const lo = Math.max(0, Math.floor((i * n2 - limit) / n1));
    const hi = Math.min(n2, Math.ceil((i * n2 + limit) / n1));
    for (let j = lo; j <= hi; j++) {
      if (Math.abs(i * n2 - j * n1) >= limit) continue;
      let p = prev[j]! * ((n1 - i + 1) / (N - (i - 1) - j));
      if (j > 0) p += cur[j - 1]! * ((n2 - j + 1) / (N - i - (j - 1)));
      cur[j] = p;
    }
    [prev, cur] = [cur, prev];
  }
  return { pvalue: clip(1 - prev[n2]!), method: 'exact' };
}
