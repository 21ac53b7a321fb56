/**
 * How PostgreSQL values become JavaScript values in io.postgres — one mapping, used by `io.postgres.read` (as the
 * driver's type parsers) and by the change stream (pgoutput sends the same text forms), keyed by type OID.
 *
 * Decisions (lossless first, JSON-friendly second):
 * - int8 → bigint (as io.delta's long); int2/int4/oid/float4/float8 → number; numeric → string (exact decimal);
 * - timestamptz → ISO-8601 UTC string with the server's microseconds (`2024-05-01T12:00:00.123456Z`; sessions run
 *   with TimeZone=UTC); timestamp → the same without `Z`; date → `YYYY-MM-DD`; time, timetz, interval → PostgreSQL's
 *   text. Strings, not `Instant`s, because an Instant (ms) would drop microseconds; `time.parse` turns them into one.
 *   `infinity`/`-infinity` stay as those words.
 * - bool → boolean; json/jsonb → parsed JSON; bytea → Uint8Array; uuid, text, varchar, enums and every other type →
 *   PostgreSQL's text form; arrays of the types above → arrays (NULL elements → null).
 */

/** OIDs of the built-in types mapped specially (from pg_type.dat). */
export const PgOid = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, text: 25, oid: 26, json: 114, float4: 700, float8: 701,
  date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700, jsonb: 3802,
} as const;

/** A value as io.postgres hands it over. */
export type PgValue = null | boolean | number | bigint | string | Uint8Array | unknown[] | { [k: string]: unknown };

type Parser = (text: string) => unknown;

const identity: Parser = (t) => t;
const int: Parser = (t) => Number(t);
const float: Parser = (t) => Number.parseFloat(t); // handles NaN, Infinity, -Infinity

/** `2024-05-01 12:00:00.5+00` → `2024-05-01T12:00:00.5Z`; BC and infinite values keep PostgreSQL's text. */
function timestamp(zoned: boolean): Parser {
  return (t) => {
    if (t === 'infinity' || t === '-infinity' || t.endsWith(' BC')) return t;
    const iso = t.replace(' ', 'T');
    if (!zoned) return iso;
    // The session runs in UTC, so the offset is +00 (sometimes with :00 seconds); anything else is kept as an offset.
    return iso.replace(/\+00(:00)?(:00)?$/, 'Z');
  };
}

function bytea(t: string): Uint8Array {
  if (t.startsWith('\\x')) return Uint8Array.from(Buffer.from(t.slice(2), 'hex'));
  // The legacy escape format (bytea_output = escape): \\ is a backslash, \ooo an octal byte.
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== '\\') out.push(t.charCodeAt(i));
    else if (t[i + 1] === '\\') { out.push(92); i++; }
    else { out.push(Number.parseInt(t.slice(i + 1, i + 4), 8)); i += 3; }
  }
  return Uint8Array.from(out);
}

const scalar = new Map<number, Parser>([
  [PgOid.bool, (t) => t === 't' || t === 'true'],
  [PgOid.bytea, bytea],
  [PgOid.int8, (t) => BigInt(t)],
  [PgOid.int2, int],
  [PgOid.int4, int],
  [PgOid.oid, int],
  [PgOid.float4, float],
  [PgOid.float8, float],
  [PgOid.json, (t) => JSON.parse(t)],
  [PgOid.jsonb, (t) => JSON.parse(t)],
  [PgOid.timestamp, timestamp(false)],
  [PgOid.timestamptz, timestamp(true)],
]);

/** Array type OID → element type OID, for the arrays of mapped types (others stay text). */
const arrays = new Map<number, number>([
  [1000, PgOid.bool], [1001, PgOid.bytea], [1016, PgOid.int8], [1005, PgOid.int2], [1007, PgOid.int4], [1028, PgOid.oid],
  [1021, PgOid.float4], [1022, PgOid.float8], [199, PgOid.json], [3807, PgOid.jsonb], [1115, PgOid.timestamp],
  [1185, PgOid.timestamptz], [1009, PgOid.text], [1015, PgOid.text], [1014, PgOid.text], [2951, PgOid.text],
  [1231, PgOid.numeric], [1182, PgOid.date],
]);

/**
 * Parses a PostgreSQL array literal (`{1,2,NULL}`, `{"a b","c\"d"}`, nested `{{1,2},{3,4}}`) with an element parser.
 * Lower bounds (`[0:1]={…}`) are dropped: JavaScript arrays start at 0.
 */
export function parseArrayLiteral(text: string, element: Parser): unknown[] {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0;
  const parseList = (): unknown[] => {
    if (text[i] !== '{') throw new Error(`invalid array literal ${JSON.stringify(text)}`);
    i++;
    const list: unknown[] = [];
    if (text[i] === '}') { i++; return list; }
    for (;;) {
      if (text[i] === '{') list.push(parseList());
      else if (text[i] === '"') {
        let s = '';
        for (i++; text[i] !== '"'; i++) {
          if (i >= text.length) throw new Error(`unterminated string in array literal ${JSON.stringify(text)}`);
          if (text[i] === '\\') i++;
          s += text[i];
        }
        i++;
        list.push(element(s));
      } else {
        let end = i;
        while (end < text.length && text[end] !== ',' && text[end] !== '}') end++;
        const raw = text.slice(i, end);
        i = end;
        list.push(raw === 'NULL' ? null : element(raw));
      }
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return list; }
      throw new Error(`invalid array literal ${JSON.stringify(text)}`);
    }
  };
  return parseList();
}

/** The parser for a type OID's text form (PostgreSQL's text when the type is not mapped). */
export function textParser(oid: number): Parser {
  const direct = scalar.get(oid);
  if (direct) return direct;
  const element = arrays.get(oid);
  if (element !== undefined) {
    const parse = scalar.get(element) ?? identity;
    return (t) => parseArrayLiteral(t, parse);
  }
  return identity;
}

/**
 * One value from its type OID and text form (null stays null).
 *
 * @example parsePgText(20, '9007199254740993') // 9007199254740993n
 */
export function parsePgText(oid: number, text: string | null): PgValue {
  return text === null ? null : (textParser(oid)(text) as PgValue);
}
