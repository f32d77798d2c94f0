/**
 * Evaluating a node selector against a parsed document (RFC 4825 §6.3): each step
 * picks, among the children of the element the previous step picked, those that
 * match its name; then its predicates prune that list in order (a position keeps the
 * n-th, an attribute test keeps those with the value).
 */
import type { ResolvedName, Step } from './selector.js';
import type { XmlAttribute, XmlDocument, XmlElement } from './xml/tree.js';

export function matchesName(element: XmlElement, name: ResolvedName | null): boolean {
  return name === null || (element.localName === name.localName && element.namespace === name.namespace);
}

export function findAttribute(element: XmlElement, name: ResolvedName): XmlAttribute | undefined {
  for (const a of element.attributes) {
    if (a.localName === name.localName && a.namespace === name.namespace) return a;
  }
  return undefined;
}

export function elementChildren(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of element.children) if (c.kind === 'element') out.push(c);
  return out;
}

/** Applies one step to the child elements of one context (the document's root counts as the only child of the document). */
export function applyStep(children: readonly XmlElement[], step: Step): XmlElement[] {
  const named = step.name === null ? children : children.filter((c) => matchesName(c, step.name));
  let candidates: readonly XmlElement[] = named;
  if (step.position !== null) {
    const at = named[step.position - 1];
    candidates = at ? [at] : [];
  }
  const test = step.attributeTest;
  if (test === null) return candidates.slice();
  return candidates.filter((c) => findAttribute(c, test.name)?.value === test.value);
}

/**
 * What the steps select. RFC 4825 §6.3 is stricter than XPath: every step must pick
 * exactly one element, so evaluation stops at the first step that picks none or
 * several, and returns what that step picked (empty: no match; several: invalid).
 */
export function selectElements(document: XmlDocument, steps: readonly Step[]): XmlElement[] {
  let current: XmlElement[] = [document.root];
  for (let i = 0; i < steps.length; i++) {
    current = applyStep(i === 0 ? [document.root] : elementChildren(current[0]!), steps[i]!);
    if (current.length !== 1) return current;
  }
  return current;
}

/**
 * The longest prefix of the steps that selects exactly one element, for `no-parent`
 * (RFC 4825 §11.5: the closest existing ancestor). Returns the number of steps and
 * that element, or 0 and null when not even the root step selects.
 */
export function closestAncestor(document: XmlDocument, steps: readonly Step[]): { depth: number; element: XmlElement | null } {
  for (let depth = steps.length; depth > 0; depth--) {
    const found = selectElements(document, steps.slice(0, depth));
    if (found.length === 1) return { depth, element: found[0]! };
  }
  return { depth: 0, element: null };
}
