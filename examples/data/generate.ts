// Generates the bundled sample data deterministically (a seeded PRNG, fixed epoch): run it again and the files are
// byte-for-byte the same. `node --import tsx examples/data/generate.ts`
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** mulberry32: a tiny, well-mixed 32-bit PRNG; the seed fixes every value below. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20240501);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const START = Date.UTC(2024, 4, 1, 9, 0, 0); // 2024-05-01T09:00:00Z
const SPAN_MS = 28 * 60_000;
const COUNTRIES = ['US', 'US', 'US', 'DE', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN'] as const;
const SEGMENTS = ['premium', 'regular', 'regular', 'new'] as const;
const USERS = Array.from({ length: 30 }, (_, i) => `u${String(i + 1).padStart(2, '0')}`);
/** Users with no row in user-segments.csv: the ETL enriches them as 'unknown'. */
const UNSEGMENTED = new Set(['u07', 'u19', 'u28']);

interface Event {
  user: string;
  country: string;
  type: string;
  revenue: string;
  at: number;
}

// Each user browses in one to three bursts (sessions); a burst is a few events seconds to two minutes apart.
const events: Event[] = [];
for (const user of USERS) {
  const country = pick(COUNTRIES);
  const bursts = int(1, 3);
  for (let b = 0; b < bursts; b++) {
    let at = START + Math.floor(rand() * SPAN_MS / 1000) * 1000;
    const n = int(2, 8);
    for (let i = 0; i < n && at < START + SPAN_MS + 2 * 60_000; i++) {
      const r = rand();
      const type = r < 0.45 ? 'view' : r < 0.7 ? 'click' : r < 0.85 ? 'add_to_cart' : r < 0.97 ? 'purchase' : 'refund';
      const cents = type === 'purchase' ? int(500, 25_000) : type === 'refund' ? -int(500, 5_000) : 0;
      events.push({ user, country, type, revenue: (cents / 100).toFixed(2), at });
      at += int(5, 120) * 1000;
    }
  }
}
events.sort((a, b) => a.at - b.at || a.user.localeCompare(b.user));

const lines = ['event_id,user_id,country,event_type,revenue,timestamp'];
events.forEach((e, i) => {
  const id = `e${String(i + 1).padStart(4, '0')}`;
  lines.push([id, e.user, e.country, e.type, e.revenue, new Date(e.at).toISOString().replace('.000Z', 'Z')].join(','));
});
// Deliberately malformed records (the ETL sends them to its errors file). Nothing after the unterminated quote holds
// a quote character, so the reader recovers at the end of the file and loses only that line.
const malformed: Array<[number, string]> = [
  [40, 'e9001,u03,DE,purchase,12.x4,2024-05-01T09:05:00Z'], // bad number
  [90, 'e9002,u11,US,view,2024-05-01T09:10:00Z'], // wrong field count (revenue missing)
  [150, 'e9003,u12,"FR,purchase,19.99,2024-05-01T09:15:00Z'], // unterminated quote
  [200, 'e9004,u05,GB,click,0.00,2024-05-01T09:20:00Z,extra'], // wrong field count (one too many)
  [250, 'e9005,u21,JP,purchase,7.50,yesterday'], // not a timestamp
];
for (const [at, line] of [...malformed].reverse()) lines.splice(at, 0, line);
writeFileSync(join(here, 'events.csv'), `${lines.join('\n')}\n`);

const segments = ['user_id,segment', ...USERS.filter((u) => !UNSEGMENTED.has(u)).map((u) => `${u},${pick(SEGMENTS)}`)];
writeFileSync(join(here, 'user-segments.csv'), `${segments.join('\n')}\n`);
console.log(`wrote ${events.length} events (+${malformed.length} malformed lines) and ${segments.length - 1} user segments to ${here}`);
