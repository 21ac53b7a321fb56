/**
 * The little XML S3 answers with (ListObjectsV2 pages, error bodies), read without an XML library: elements found by
 * name, entities and CDATA decoded. Enough for these flat, service-generated documents — not a general parser.
 */

/** Decodes the five predefined entities, numeric references and CDATA sections. */
export function xmlDecode(text: string): string {
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(text.trim());
  if (cdata) return cdata[1];
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e];
  });
}

/**
 * The contents of every `<name>…</name>` element, in order (undecoded: callers decode leaves).
 *
 * @example
 * xmlElements('<a><Key>x</Key><Key>y</Key></a>', 'Key'); // ['x', 'y']
 */
export function xmlElements(xml: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g');
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(m[1]);
  return out;
}

/** The decoded text of the first `<name>` element, or undefined. */
export function xmlText(xml: string, name: string): string | undefined {
  const all = xmlElements(xml, name);
  return all.length > 0 ? xmlDecode(all[0]) : undefined;
}
