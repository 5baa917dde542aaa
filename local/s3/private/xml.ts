/** XML text escaping and the little XML reading S3 request bodies need. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must become character references.
const XML_UNSAFE = /[&<>"'\u0000-\u001f]/g;

/**
 * Escapes text for an XML element. Line breaks and tabs become character references so
 * that XML parsers' line-end normalisation cannot change a key on its way back.
 */
function escapeXml(text: string): string {
  return text.replace(XML_UNSAFE, (c) => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
}

/** Decodes the five predefined entities and numeric character references. */
function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[ref] ?? '';
  });
}

/** The raw inner text of every `<tag>...</tag>` (non-nested) element in `xml`. */
export function xmlElements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}\\s*>)`, 'g');
  for (const m of xml.matchAll(re)) out.push(m[1] ?? '');
  return out;
}

/** The decoded text of the first `<tag>` element, or undefined when there is none. */
export function xmlText(xml: string, tag: string): string | undefined {
  const first = xmlElements(xml, tag)[0];
  if (first === undefined) return undefined;
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(first);
  return cdata ? cdata[1] : unescapeXml(first);
}

/** One element with text children, e.g. `el('Key', 'a&b')` -> `<Key>a&amp;b</Key>`. */
export function el(tag: string, text: string | number | boolean): string {
  return `<${tag}>${escapeXml(String(text))}</${tag}>`;
}

const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A complete S3 XML document with the S3 namespace on its root element. */
export function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`;
}
