/**
 * Taking an element out of its document: its text with every namespace binding it
 * inherits declared on it, so that it means the same on its own or placed in another
 * document (the rls-services global index, xcap-diff bodies).
 */
import { escapeAttribute } from './xml/escape.js';
import { inScopeNamespaces } from './xml/parser.js';
import type { XmlElement } from './xml/tree.js';

export function detachElement(source: string, element: XmlElement): string {
  const text = source.slice(element.start, element.end);
  if (element.parent === null) return text;
  const own = new Set(element.namespaceDeclarations.map((d) => d.prefix));
  const inherited = inScopeNamespaces(element.parent);
  let declarations = '';
  for (const [prefix, uri] of inherited) {
    if (prefix === 'xml' || own.has(prefix)) continue;
    declarations += prefix === '' ? ` xmlns="${escapeAttribute(uri, '"')}"` : ` xmlns:${prefix}="${escapeAttribute(uri, '"')}"`;
  }
  if (declarations === '') return text;
  const nameEnd = 1 + element.qname.length;
  return text.slice(0, nameEnd) + declarations + text.slice(nameEnd);
}
