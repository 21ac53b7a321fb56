/**
 * The RFC 4180 record tokenizer of every CSV reader in Riffle, fed line by line (lines as read, each possibly ending
 * in '\r'). It yields records with their fields, the number of their first line and their raw text, and reports
 * malformed records instead of throwing, so a reader can route them aside and go on.
 *
 * Strategy:
 *  1. A line with no quote character outside a pending record is a whole record: `split(delimiter)` (the fast path).
 *  2. Otherwise a small state machine walks the line with `indexOf`: quoted values may contain delimiters, doubled
 *     quotes and newlines; an unquoted value may contain a quote character (taken literally, as most writers expect).
 *  3. A quoted value still open at the end of a line makes the record pending: the next lines continue it, with the
 *     line end (CRLF or CR kept exact) as part of the value.
 *  4. The recovery rule (one stray quote costs one line, never the rest of the file): a pending record is accepted
 *     only when it closes into a well-formed record with the expected number of fields (`width`, once the header is
 *     known). When it closes with the wrong field count, with text after a closing quote, past `maxRecordLines` lines
 *     or `maxRecordChars` characters, or at the end of the input, its quote was unterminated: the record's first line
 *     is reported malformed (its raw text and line number) and the lines after it are parsed again as new records.
 *  5. With `width` set, a one-line record with another field count is malformed too; with `skipEmptyLines` (the
 *     default), an empty line outside a quoted value is no record.
 */

export interface CsvParserOptions {
  readonly delimiter: string;
  readonly quote: string;
  /** Lines a single record may span before its opening quote is declared unterminated (default 10 000). */
  readonly maxRecordLines?: number;
  /** Characters a record spanning lines may hold before its opening quote is declared unterminated (default 64 Mi). */
  readonly maxRecordChars?: number;
  /** Skip lines that are empty outside a quoted value (default true). */
  readonly skipEmptyLines?: boolean;
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
  readonly #maxChars: number;
  readonly #skipEmpty: boolean;
  /**
   * The number of fields a record must have (the header's), once known: a record spanning lines with another count
   * had an unterminated quote, and a one-line record with another count is malformed.
   */
  width: number | undefined;
  /** The line terminator inside quoted values of lines without a '\r' ('\r' for files with bare-CR line ends). */
  newline: '\n' | '\r' = '\n';
  #pendingChars = 0;
  // The pending record (a quoted value spans lines): its fields so far, the open value, and its lines.
  #fields: string[] = [];
  #value = '';
  #pending: string[] = [];
  #pendingFirst = 0;

  constructor(opts: CsvParserOptions) {
    this.#delim = opts.delimiter;
    this.#quote = opts.quote;
    this.#maxLines = opts.maxRecordLines ?? 10_000;
    this.#maxChars = opts.maxRecordChars ?? 64 * 1024 * 1024;
    this.#skipEmpty = opts.skipEmptyLines ?? true;
  }

  /** Whether a record is open (a quoted value continues on the next line). */
  get pending(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * The lines of the open record as they were pushed, and the number of its first line: a reader that stops here
   * resumes at the start of that line (the record is parsed again from there).
   */
  get pendingLines(): readonly string[] {
    return this.#pending;
  }

  get pendingFirstLine(): number {
    return this.#pendingFirst;
  }

  /** Feeds one line (its '\n' removed; a '\r' before it may remain). */
  push(line: string, lineNo: number, sink: CsvRecordSink): void {
    const hasCr = line.charCodeAt(line.length - 1) === CR;
    const text = hasCr ? line.slice(0, -1) : line;
    if (this.#pending.length === 0) {
      if (text.indexOf(this.#quote) === -1) {
        if (text.length === 0 && this.#skipEmpty) return;
        const fields = text.split(this.#delim);
        if (this.width !== undefined && fields.length !== this.width) return this.#wrongWidth(fields.length, lineNo, text, sink);
        sink.record(fields, lineNo, text);
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
            return this.#done(text, lineNo, sink, line);
          }
          fields.push(text.slice(i, j));
          i = j + 1;
          continue;
        }
      }
      // Inside a quoted value.
      const j = text.indexOf(q, i);
      if (j === -1) {
        value += text.slice(i) + (hasCr ? '\r\n' : this.newline);
        this.#value = value;
        if (this.#pending.length === 0) {
          this.#pendingFirst = lineNo;
          this.#pendingChars = 0;
        }
        this.#pending.push(line);
        this.#pendingChars += line.length + 1;
        if (this.#pending.length >= this.#maxLines) this.#abandon(`within ${this.#maxLines} lines`, sink);
        else if (this.#pendingChars > this.#maxChars) this.#abandon(`within ${this.#maxChars} characters`, sink);
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
      if (i === n) return this.#done(text, lineNo, sink, line);
      if (text[i] === d) {
        i++;
        if (i === n) {
          fields.push('');
          return this.#done(text, lineNo, sink, line);
        }
        continue;
      }
      if (this.#pending.length > 0) {
        // The quote that opened this record was unterminated: its value closed on a later line, on a quote that
        // opened something else.
        this.#pending.push(line);
        return this.#abandon(`before line ${lineNo}, where text follows a closing quote`, sink);
      }
      const raw = text;
      this.#reset();
      sink.malformed(`line ${lineNo}: unexpected ${JSON.stringify(text[i])} after the closing quote of field ${fields.length}`, lineNo, raw);
      return;
    }
  }

  #done(lastText: string, lineNo: number, sink: CsvRecordSink, line: string): void {
    const fields = this.#fields;
    const width = this.width;
    if (this.#pending.length === 0) {
      this.#fields = [];
      if (width !== undefined && fields.length !== width) return this.#wrongWidth(fields.length, lineNo, lastText, sink);
      sink.record(fields, lineNo, lastText);
      return;
    }
    if (width !== undefined && fields.length !== width) {
      this.#pending.push(line);
      return this.#abandon(`before a line end that gives the record its ${width} fields (it closes on line ${lineNo} with ${fields.length})`, sink);
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

  #wrongWidth(count: number, lineNo: number, raw: string, sink: CsvRecordSink): void {
    sink.malformed(`line ${lineNo}: expected ${this.width} fields (as the header), got ${count}`, lineNo, raw);
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
