/** The AWS query protocol's request parameters and XML text, as SNS uses them. */
import { SnsErrors } from './errors';

/** A parameter that must be present; InvalidParameter naming it otherwise. */
export function required(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null) throw SnsErrors.invalidParameter(`${name} Reason: no value for required parameter`);
  return v;
}

/** Reads a query-protocol map (`<prefix>.N.<keyName>` / `<prefix>.N.<valueName>`). */
export function entries(
  p: URLSearchParams,
  prefix: string,
  keyName: string,
  valueName: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; p.has(`${prefix}.${i}.${keyName}`); i++) {
    out[p.get(`${prefix}.${i}.${keyName}`)!] = p.get(`${prefix}.${i}.${valueName}`) ?? '';
  }
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r\n\t]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One element with text content, escaped for XML. */
export function el(tag: string, text: string): string {
  return `<${tag}>${escapeXml(text)}</${tag}>`;
}
