/** Small readers over the parsed XML tree of src/xcap/xml for response bodies. */
import type { XmlElement } from '../xcap/xml/tree.js';

export function childElements(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of element.children) if (c.kind === 'element') out.push(c);
  return out;
}

export function textOf(element: XmlElement): string {
  let text = '';
  for (const c of element.children) {
    if (c.kind === 'text' || c.kind === 'cdata') text += c.value;
    else if (c.kind === 'element') text += textOf(c);
  }
  return text;
}
