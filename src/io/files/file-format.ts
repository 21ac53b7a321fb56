/**
 * How values become file contents: an optional header, one record per value (with its line ending), an optional footer.
 * Formats are pure and synchronous; the sink does the I/O.
 */
export interface FileFormat<T> {
  /** File extension without the dot, e.g. 'csv'. */
  readonly extension: string;
  header?(): string;
  /** The text of one record, including its terminator (e.g. a trailing '\n'). */
  encode(value: T): string;
  footer?(): string;
}
