/**
 * Attribute bodies (`application/xcap-att+xml`). RFC 4825 §7.7/§8.3 and the §13
 * example write them as an XML AttValue, quotes and entity references included
 * (`"sip:bob@example.com"`); OpenXCAP sends and accepts the bare value. Callers deal
 * in plain values only.
 */
import { escapeAttribute } from '../xcap/xml/escape.js';
import { parseAttributeValue } from '../xcap/xml/parser.js';

export type AttributeStyle = 'quoted' | 'bare';

/** The body that writes `value` (quoted: an AttValue; bare: the value as is). */
export function attributeBody(value: string, style: AttributeStyle = 'quoted'): string {
  return style === 'bare' ? value : `"${escapeAttribute(value, '"')}"`;
}

/**
 * The value an attribute body stands for: a quoted AttValue is unquoted and its
 * references expanded; anything else is taken as the bare value.
 */
export function attributeValueOf(body: string): string {
  const first = body[0];
  if (body.length >= 2 && (first === '"' || first === "'") && body[body.length - 1] === first) {
    const inner = body.slice(1, -1);
    if (!inner.includes(first)) {
      try {
        return parseAttributeValue(inner);
      } catch {
        return inner;
      }
    }
  }
  return body;
}
