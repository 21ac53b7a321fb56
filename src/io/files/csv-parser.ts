/**
 * An RFC 4180 record parser fed line by line (lines as read, each possibly ending in '\r'). It yields records with
 * their fields, the number of their first line and their raw text, and reports malformed records instead of throwing,
 * so a reader can route them aside and go on.
 *
 * Strategy:
 *  1. A line with no quote character outside a pending record is a whole record: `split(delimiter)` (the fast path).
 *  2. Otherwise a small state machine walks the line with `indexOf`: quoted values may contain delimiters, doubled
 *     quotes and newlines; an unquoted value may contain a quote character (taken literally, as most writers expect).
 *  3. A quoted value still open at the end of a line makes the record pending: the next lines continue it, with the
 *     newline (CRLF kept exact) as part of the value.
 *  4. A record still open after `maxRecordLines` lines, or at the end of the input, has an unterminated quote: its
 *     first line is reported malformed and the lines after it are parsed again as fresh records, so one stray quote
 *     costs one line rather than the rest of the file.
 */

export interface CsvParserOptions {
  readonly delimiter: string;
  readonly quote: string;
  /** Lines a single record may span before its opening quote is declared unterminated (default 10 000). */
  readonly maxRecordLines?: number;
}

export interface CsvRecordSink {
  record(fields: string[], line: number, raw: string): void;
  malformed(reason: string, line: number, raw: string): void;
}

const CR = 13;

export class CsvRecordParser {
  readonly #delim: string;
  readonly #quote: string;
  readonly #maxLines: number;
  // The pending record (a quoted value spans lines): its fields so far, the open value, and its lines.
  #fields: string[] = [];
  #value = '';
  #pending: string[] = [];
  #pendingFirst = 0;

  constructor(opts: CsvParserOptions) {
    this.#delim = opts.delimiter;
    this.#quote = opts.quote;
    this.#maxLines = opts.maxRecordLines ?? 10_000;
  }

  /** Whether a record is open (a quoted value continues on the next line). */
  get pending(): boolean {
    return this.#pending.length > 0;
  }

  /** Feeds one line (its '\n' removed; a '\r' before it may remain). */
  push(line: string, lineNo: number, sink: CsvRecordSink): void {
    const hasCr = line.charCodeAt(line.length - 1) === CR;
    const text = hasCr ? line.slice(0, -1) : line;
    if (this.#pending.length === 0) {
      if (text.indexOf(this.#quote) === -1) {
        sink.record(text.split(this.#delim), lineNo, text);
        return;
      }
      this.#fields = [];
      this.#value = '';
      this.#walk(text, hasCr, false, line, lineNo, sink);
      return;
    }
    this.#walk(text, hasCr, true, line, lineNo, sink);
  }

  /** Ends the input: a record still open has an unterminated quote. */
  end(sink: CsvRecordSink): void {
    while (this.#pending.length > 0) this.#abandon('before the end of the file', sink);
  }

  /** Walks `text`; `inQuoted` when it continues a quoted value from the previous line. */
  #walk(text: string, hasCr: boolean, inQuoted: boolean, line: string, lineNo: number, sink: CsvRecordSink): void {
    const q = this.#quote;
    const d = this.#delim;
    const n = text.length;
    const fields = this.#fields;
    let i = 0;
    let value = this.#value;
    while (true) {
      if (!inQuoted) {
        // At the start of a field.
        if (i < n && text[i] === q) {
          inQuoted = true;
          value = '';
          i++;
        } else {
          const j = text.indexOf(d, i);
          if (j === -1) {
            fields.push(text.slice(i));
            return this.#done(text, lineNo, sink);
          }
          fields.push(text.slice(i, j));
          i = j + 1;
          continue;
        }
      }
      // Inside a quoted value.
      const j = text.indexOf(q, i);
      if (j === -1) {
        value += text.slice(i) + (hasCr ? '\r\n' : '\n');
        this.#value = value;
        if (this.#pending.length === 0) this.#pendingFirst = lineNo;
        this.#pending.push(line);
        if (this.#pending.length >= this.#maxLines) this.#abandon(`within ${this.#maxLines} lines`, sink);
        return;
      }
      if (text[j + 1] === q) {
        value += text.slice(i, j + 1);
        i = j + 2;
        continue;
      }
      value += text.slice(i, j);
      inQuoted = false;
      fields.push(value);
      i = j + 1;
      if (i === n) return this.#done(text, lineNo, sink);
      if (text[i] === d) {
        i++;
        if (i === n) {
          fields.push('');
          return this.#done(text, lineNo, sink);
        }
        continue;
      }
      const first = this.#pending.length > 0 ? this.#pendingFirst : lineNo;
      const raw = this.#rawWith(text);
      this.#reset();
      sink.malformed(`line ${first}: unexpected ${JSON.stringify(text[i])} after the closing quote of field ${fields.length}`, first, raw);
      return;
    }
  }

  #done(lastText: string, lineNo: number, sink: CsvRecordSink): void {
    const fields = this.#fields;
    if (this.#pending.length === 0) {
      this.#fields = [];
      sink.record(fields, lineNo, lastText);
      return;
    }
    const first = this.#pendingFirst;
    const raw = this.#rawWith(lastText);
    this.#reset();
    sink.record(fields, first, raw);
  }

  /** The raw text of the pending lines followed by the last one (its '\r' removed). */
  #rawWith(lastText: string): string {
    return this.#pending.length === 0 ? lastText : `${this.#pending.join('\n')}\n${lastText}`;
  }

  #reset(): void {
    this.#fields = [];
    this.#value = '';
    this.#pending = [];
  }

  /** The pending record has an unterminated quote: report its first line, re-parse the following ones. */
  #abandon(where: string, sink: CsvRecordSink): void {
    const lines = this.#pending;
    const first = this.#pendingFirst;
    this.#reset();
    const head = lines[0];
    const raw = head.charCodeAt(head.length - 1) === CR ? head.slice(0, -1) : head;
    sink.malformed(`line ${first}: unterminated quoted value (no closing ${this.#quote} ${where})`, first, raw);
    for (let k = 1; k < lines.length; k++) this.push(lines[k], first + k, sink);
  }
}
