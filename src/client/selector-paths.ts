/**
 * Node selectors that continue a partial one in a given document: what shell
 * completion offers after `xcapclient get /resource-lists/list[@name="friends"]/`.
 * Each candidate selects exactly one node of the document (a name alone when it is
 * unique among its siblings, else a position, and an attribute test for every
 * attribute value that tells the sibling apart), plus the parent's attributes and
 * `namespace::*`. Candidates for elements with element children come a second time
 * with a trailing '/', so that completion can go on.
 */
import { selectElements } from '../xcap/select.js';
import { formatNodeSelector, type Step } from '../xcap/selector.js';
import { parseXmlDocument } from '../xcap/xml/parser.js';
import type { XmlElement } from '../xcap/xml/tree.js';
import { parseSelectorText } from './selector-builder.js';
import { childElements } from './xml-read.js';

/**
 * @param documentXml the document the selector applies to
 * @param partial what was typed so far (`/resource-lists/li`); a leading '/' is kept in the candidates
 * @param defaultNamespace the application's default document namespace; default the root element's
 */
export function childSelectors(documentXml: string, partial: string, defaultNamespace?: string | null): string[] {
  let root: XmlElement;
  try {
    root = parseXmlDocument(documentXml).root;
  } catch {
    return [];
  }
  const lead = partial.startsWith('/') ? '/' : '';
  const typed = partial.replace(/^\/+/, '');
  const namespace = defaultNamespace ?? root.namespace ?? '';
  const candidates: string[] = [];
  const slash = lastStepSeparator(typed);

  if (slash < 0) {
    const name = nameIn(root, namespace);
    if (name !== null) candidates.push(name, `${name}/`);
  } else {
    const parentText = typed.slice(0, slash);
    const bindings = new Map<string, string>();
    for (const d of root.namespaceDeclarations) if (d.prefix !== '') bindings.set(d.prefix, d.uri);
    let parent: XmlElement | undefined;
    try {
      const found = selectElements({ source: documentXml, root, declarationEnd: 0, declaredEncoding: null }, parseSelectorText(parentText, bindings, namespace).steps);
      parent = found.length === 1 ? found[0] : undefined;
    } catch {
      parent = undefined;
    }
    if (parent !== undefined) {
      for (const a of parent.attributes) candidates.push(`${parentText}/@${a.qname}`);
      candidates.push(`${parentText}/namespace::*`);
      for (const step of childSteps(parent, namespace)) {
        const text = `${parentText}/${step.text}`;
        candidates.push(text);
        if (step.hasChildren) candidates.push(`${text}/`);
      }
    }
  }
  return [...new Set(candidates)]
    .filter((c) => c.startsWith(typed))
    .sort()
    .map((c) => lead + c);
}

/** The '/' before the last step, ignoring any inside a quoted attribute value. */
function lastStepSeparator(text: string): number {
  let quote: string | null = null;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '/') {
      last = i;
    }
  }
  return last;
}

/** How an element is named in a selector: unprefixed in the default namespace, else with its document prefix. */
function nameIn(element: XmlElement, defaultNamespace: string): string | null {
  if ((element.namespace ?? '') === defaultNamespace) return element.localName;
  return element.prefix === null ? null : `${element.prefix}:${element.localName}`;
}

function childSteps(parent: XmlElement, defaultNamespace: string): { text: string; hasChildren: boolean }[] {
  const children = childElements(parent);
  const groups = new Map<string, XmlElement[]>();
  for (const child of children) {
    const name = nameIn(child, defaultNamespace);
    if (name === null) continue;
    const group = groups.get(name) ?? [];
    group.push(child);
    groups.set(name, group);
  }
  const out: { text: string; hasChildren: boolean }[] = [];
  for (const [name, group] of groups) {
    const [prefix, localName] = name.includes(':') ? (name.split(':', 2) as [string, string]) : [null, name];
    const stepName = { prefix, localName, namespace: null };
    group.forEach((element, i) => {
      const hasChildren = childElements(element).length > 0;
      const positional: Step = { name: stepName, position: group.length > 1 ? i + 1 : null, attributeTest: null };
      out.push({ text: formatNodeSelector([positional]), hasChildren });
      for (const a of element.attributes) {
        const unique = group.filter((g) => g.attributes.some((b) => b.qname === a.qname && b.value === a.value)).length === 1;
        if (!unique) continue;
        const [ap, al] = a.prefix === null ? [null, a.localName] : [a.prefix, a.localName];
        const tested: Step = { name: stepName, position: null, attributeTest: { name: { prefix: ap, localName: al, namespace: null }, value: a.value } };
        out.push({ text: formatNodeSelector([tested]), hasChildren });
      }
    });
  }
  return out;
}
