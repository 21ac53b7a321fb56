/**
 * Rendering templates into a command for `/bin/sh -c` without letting a value become shell syntax. Each placeholder
 * is quoted for the place it stands in the command, found by reading the template's literal text as the shell would
 * (POSIX sh quoting, command substitution, comments, here-documents):
 *
 * 1. unquoted: the value is one word — left bare when it holds only `[A-Za-z0-9_@%+=:,./-]` (as Python's
 *    shlex.quote), else single-quoted with each `'` written `'\''`;
 * 2. inside '...': each `'` becomes `'\''` (close, escaped quote, reopen);
 * 3. inside "..." (and here-documents with an unquoted delimiter): `\`, `"`, `$` and backquote get a backslash;
 *    inside backquotes, the result is escaped once more (they strip one level of backslashes first);
 * 4. where no quoting exists (a comment, `${...}`, a quoted here-document) a value that could break out (a newline,
 *    a `}`, the delimiter line) is refused.
 *
 * `{{ params.x | raw }}` splices the value as it is: DANGEROUS with values from `--conf`/`--param` or any outside
 * source (`x; rm -rf ~` then runs); for a template author who passes shell syntax on purpose.
 * @example
 *   renderShellCommand('grep {{ params.q }} "in {{ ds }}.log"', ctx) // grep 'a b; id' "in 2024-01-01.log"
 */
import { DagDefinitionError } from './errors.ts';
import { templateParts, type TemplateContext } from './template-context.ts';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One shell word holding `value` exactly (POSIX single-quote escaping; bare when nothing needs quoting). */
export function shellQuote(value: string): string {
  return SAFE.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

type Frame =
  | { kind: 'plain'; close: ')' | '`' | undefined; depth: number }
  | { kind: 'single' }
  | { kind: 'double' }
  | { kind: 'brace'; depth: number }
  | { kind: 'comment' }
  | { kind: 'heredoc'; delimiter: string; quoted: boolean; stripTabs: boolean; line: string };

/** Renders a command template for `/bin/sh -c`, quoting every placeholder for its place (see the module comment). */
export function renderShellCommand(template: string, ctx: TemplateContext): string {
  const stack: Frame[] = [{ kind: 'plain', close: undefined, depth: 0 }];
  const pendingHeredocs: { delimiter: string; quoted: boolean; stripTabs: boolean }[] = [];
  let prev = ''; // the previous literal character (for "start of a word")
  let out = '';
  const top = () => stack[stack.length - 1]!;

  const scan = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      const next = text[i + 1];
      const f = top();
      switch (f.kind) {
        case 'single':
          if (c === "'") stack.pop();
          break;
        case 'comment':
          if (c === '\n') {
            stack.pop();
            startHeredocs();
          }
          break;
        case 'heredoc':
          if (c === '\n') {
            const line = f.stripTabs ? f.line.replace(/^\t+/, '') : f.line;
            if (line === f.delimiter) {
              stack.pop();
              startHeredocs();
            }
            f.line = '';
          } else {
            f.line += c;
            if (!f.quoted && c === '\\') {
              f.line += text[i + 1] ?? '';
              i++;
            } else if (!f.quoted && c === '$' && next === '(') {
              stack.push({ kind: 'plain', close: ')', depth: 0 });
              i++;
            } else if (!f.quoted && c === '`') stack.push({ kind: 'plain', close: '`', depth: 0 });
          }
          break;
        case 'double':
          if (c === '\\') i++;
          else if (c === '"') stack.pop();
          else if (c === '$' && next === '(') {
            stack.push({ kind: 'plain', close: ')', depth: 0 });
            i++;
          } else if (c === '$' && next === '{') {
            stack.push({ kind: 'brace', depth: 0 });
            i++;
          } else if (c === '`') stack.push({ kind: 'plain', close: '`', depth: 0 });
          break;
        case 'brace':
          if (c === '\\') i++;
          else if (c === '{') f.depth++;
          else if (c === '}') {
            if (f.depth === 0) stack.pop();
            else f.depth--;
          } else if (c === "'") stack.push({ kind: 'single' });
          else if (c === '"') stack.push({ kind: 'double' });
          break;
        case 'plain':
          if (c === '\\') i++;
          else if (c === "'") stack.push({ kind: 'single' });
          else if (c === '"') stack.push({ kind: 'double' });
          else if (c === '`') {
            if (f.close === '`') stack.pop();
            else stack.push({ kind: 'plain', close: '`', depth: 0 });
          } else if (c === '$' && next === '(') {
            stack.push({ kind: 'plain', close: ')', depth: 0 });
            i++;
          } else if (c === '$' && next === '{') {
            stack.push({ kind: 'brace', depth: 0 });
            i++;
          } else if (c === '(') f.depth++;
          else if (c === ')') {
            if (f.depth > 0) f.depth--;
            else if (f.close === ')') stack.pop();
          } else if (c === '#' && (prev === '' || /[\s;&|()]/.test(prev))) stack.push({ kind: 'comment' });
          else if (c === '<' && next === '<' && text[i + 2] !== '<') {
            const m = /^<<(-?)[ \t]*((?:'[^']*'|"[^"]*"|\\?[^\s;&|<>()])+)/.exec(text.slice(i));
            if (m) {
              const word = m[2]!;
              pendingHeredocs.push({ delimiter: word.replace(/['"\\]/g, ''), quoted: /['"\\]/.test(word), stripTabs: m[1] === '-' });
              i += m[0].length - 1;
            }
          } else if (c === '\n') startHeredocs();
          break;
      }
      prev = c;
    }
  };
  const startHeredocs = () => {
    // Here-documents begin on the line after their `<<` (several on one line follow one another).
    const docs = pendingHeredocs.splice(0).reverse();
    for (const d of docs) stack.push({ kind: 'heredoc', ...d, line: '' });
  };

  for (const part of templateParts(template, ctx)) {
    if (part.kind === 'text') {
      out += part.text;
      scan(part.text);
      continue;
    }
    if (part.filters.includes('raw')) {
      out += part.value;
      scan(part.value);
      continue;
    }
    const f = top();
    const refuse = (why: string) => new DagDefinitionError(`cannot quote ${part.source} for the shell in '${template}': ${why}`, {
      hint: `pass the value through the environment instead (env: { X: '${part.source}' }, then use "$X" in the command), or run without a shell: shell(['cmd', '${part.source}'])`,
    });
    let text: string;
    switch (f.kind) {
      case 'plain':
        text = shellQuote(part.value);
        break;
      case 'single':
        text = part.value.replaceAll("'", "'\\''");
        break;
      case 'double':
        text = part.value.replace(/[\\"$`]/g, '\\$&');
        break;
      case 'heredoc': {
        const lines = (f.line + part.value).split('\n');
        if (lines.slice(0, -1).some((l) => (f.stripTabs ? l.replace(/^\t+/, '') : l) === f.delimiter)) throw refuse(`the value would end the here-document (a line '${f.delimiter}')`);
        text = f.quoted ? part.value : part.value.replace(/[\\$`]/g, '\\$&');
        f.line = lines.at(-1)!;
        break;
      }
      case 'comment':
        if (part.value.includes('\n')) throw refuse('it is inside a comment and holds a line break');
        text = part.value;
        break;
      case 'brace':
        throw refuse('it is inside ${...}, where shells do not agree on quoting');
    }
    // Old-style `...` substitution first strips one level of backslashes before its text is parsed: escape for it.
    for (const frame of stack) if (frame.kind === 'plain' && frame.close === '`') text = text.replace(/[\\`$]/g, '\\$&');
    out += text; // quoted: it changes no state of the scan
    prev = 'x';
  }
  return out;
}
