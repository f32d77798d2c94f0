/**
 * Building blocks for application usage constraints (RFC 4825 §5.4): uniqueness of
 * an attribute among siblings, and the node selector text that names a field in a
 * uniqueness-failure.
 */
import { XcapConflictError } from '../xcap/errors.js';
import type { XmlElement } from '../xcap/xml/tree.js';

export function childElements(parent: XmlElement, namespace: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of parent.children) {
    if (c.kind === 'element' && c.localName === localName && c.namespace === namespace) out.push(c);
  }
  return out;
}

export function attributeValue(element: XmlElement, localName: string): string | undefined {
  for (const a of element.attributes) if (a.namespace === null && a.localName === localName) return a.value;
  return undefined;
}

/**
 * A node selector naming an element, for error reports: each step by its name and,
 * where it has one, its `name` attribute (lists) or its position among same-named
 * siblings. Prefixes are dropped for elements in `defaultNamespace`.
 */
export function selectorOf(element: XmlElement, defaultNamespace: string): string {
  const steps: string[] = [];
  for (let e: XmlElement | null = element; e !== null; e = e.parent) {
    const name = e.namespace === defaultNamespace ? e.localName : e.qname;
    if (e.parent === null) {
      steps.push(name);
      break;
    }
    const key = attributeValue(e, 'name');
    if (key !== undefined && !key.includes('"')) {
      steps.push(`${name}[@name="${key.replace(/&/g, '&amp;').replace(/</g, '&lt;')}"]`);
    } else {
      const siblings = e.parent.children.filter(
        (c): c is XmlElement => c.kind === 'element' && c.localName === e!.localName && c.namespace === e!.namespace,
      );
      steps.push(siblings.length > 1 ? `${name}[${siblings.indexOf(e) + 1}]` : name);
    }
  }
  return steps.reverse().join('/');
}

/** Values `taken` does not hold, made from `value` by a numeric suffix. */
export function suggestAlternatives(value: string, taken: ReadonlySet<string>, count = 1): string[] {
  const out: string[] = [];
  for (let n = 2; out.length < count && n < 10_000; n++) {
    const candidate = `${value}-${n}`;
    if (!taken.has(candidate)) out.push(candidate);
  }
  return out;
}

/**
 * Refuses a document in which two `localName` children of `parent` carry the same
 * value of attribute `attribute`.
 */
export function requireUniqueAttribute(
  parent: XmlElement,
  namespace: string,
  localName: string,
  attribute: string,
  options: { defaultNamespace: string; suggest: boolean; what: string },
): void {
  const values: string[] = [];
  for (const child of childElements(parent, namespace, localName)) {
    const value = attributeValue(child, attribute);
    if (value !== undefined) values.push(value);
  }
  const all = new Set(values);
  if (all.size === values.length) return;
  const seen = new Set<string>();
  const duplicate = values.find((v) => seen.size === seen.add(v).size)!;
  const field = `${selectorOf(parent, options.defaultNamespace)}/${localName}/@${attribute}`;
  throw new XcapConflictError('uniqueness-failure', `${options.what} "${duplicate}" is used twice in the same parent`, {
    exists: [{ field, altValues: options.suggest ? suggestAlternatives(duplicate, all) : [] }],
  });
}

export function constraintFailure(phrase: string): XcapConflictError {
  return new XcapConflictError('constraint-failure', phrase);
}
