/**
 * Evaluating a node selector against a parsed document (RFC 4825 §6.3): each step
 * picks, among the children of the element the previous step picked, those that
 * match its name; then its predicates prune that list in order (a position keeps the
 * n-th, an attribute test keeps those with the value).
 *
 * A step is evaluated in one pass over the parent's `children`, with no
 * intermediate lists: a resource list may have tens of thousands of entries, and
 * every GET and write goes through here.
 */
import type { AttributeTest, ResolvedName, Step } from './selector.js';
import type { XmlAttribute, XmlDocument, XmlElement, XmlNode } from './xml/tree.js';

export function matchesName(element: XmlElement, name: ResolvedName | null): boolean {
  return name === null || (element.localName === name.localName && element.namespace === name.namespace);
}

export function findAttribute(element: XmlElement, name: ResolvedName): XmlAttribute | undefined {
  const attributes = element.attributes;
  // Indexed rather than for-of: the iterator over arrays of several kinds (the parser
  // shares a frozen empty one) cost more than the rest of a step over a long list.
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i]!;
    if (a.localName === name.localName && a.namespace === name.namespace) return a;
  }
  return undefined;
}

export function passesAttributeTest(element: XmlElement, test: AttributeTest | null): boolean {
  return test === null || findAttribute(element, test.name)?.value === test.value;
}

/** What one step picked among the children of one element. */
export interface StepMatch {
  /** How many elements the step picked. */
  readonly count: number;
  /** The first of them, null when none. */
  readonly first: XmlElement | null;
  /** Index of `first` in the parent's `children` (all node kinds counted), -1 when none. */
  readonly firstIndex: number;
  /** Every element picked, when there are several (the error messages count them). */
  readonly all: XmlElement[] | null;
}

const NO_MATCH: StepMatch = { count: 0, first: null, firstIndex: -1, all: null };

/** Applies one step to the child elements of `parent`. */
export function matchStep(parent: XmlElement, step: Step): StepMatch {
  const children = parent.children;
  const name = step.name;
  const position = step.position;
  const test = step.attributeTest;
  let named = 0;
  let first: XmlElement | null = null;
  let firstIndex = -1;
  let all: XmlElement[] | null = null;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.kind !== 'element') continue;
    if (name !== null && (child.localName !== name.localName || child.namespace !== name.namespace)) continue;
    if (position !== null) {
      // The position counts the name matches only; the attribute test then keeps or drops that one element.
      if (++named !== position) continue;
      return passesAttributeTest(child, test) ? { count: 1, first: child, firstIndex: i, all: null } : NO_MATCH;
    }
    if (test !== null && !passesAttributeTest(child, test)) continue;
    if (first === null) {
      first = child;
      firstIndex = i;
    } else {
      (all ??= [first]).push(child);
    }
  }
  if (first === null) return NO_MATCH;
  return { count: all === null ? 1 : all.length, first, firstIndex, all };
}

/** Whether the first step selects the root (the document's root counts as the only child of the document). */
export function selectsRoot(root: XmlElement, step: Step): boolean {
  return matchesName(root, step.name) && (step.position === null || step.position === 1) && passesAttributeTest(root, step.attributeTest);
}

/**
 * What the steps select. RFC 4825 §6.3 is stricter than XPath: every step must pick
 * exactly one element, so evaluation stops at the first step that picks none or
 * several, and returns what that step picked (empty: no match; several: invalid).
 */
export function selectElements(document: XmlDocument, steps: readonly Step[]): XmlElement[] {
  if (steps.length === 0) return [document.root];
  if (!selectsRoot(document.root, steps[0]!)) return [];
  let current = document.root;
  for (let i = 1; i < steps.length; i++) {
    const match = matchStep(current, steps[i]!);
    if (match.count !== 1) return match.all ?? [];
    current = match.first!;
  }
  return [current];
}

/**
 * The longest prefix of the steps that selects exactly one element, for `no-parent`
 * (RFC 4825 §11.5: the closest existing ancestor). Returns the number of steps and
 * that element, or 0 and null when not even the root step selects.
 */
export function closestAncestor(document: XmlDocument, steps: readonly Step[]): { depth: number; element: XmlElement | null } {
  if (steps.length === 0 || !selectsRoot(document.root, steps[0]!)) return { depth: 0, element: null };
  let current = document.root;
  let depth = 1;
  for (; depth < steps.length; depth++) {
    const match = matchStep(current, steps[depth]!);
    if (match.count !== 1) break;
    current = match.first!;
  }
  return { depth, element: current };
}

/**
 * Index of `node` in `parent.children`, by its offset: siblings are in source order
 * and never overlap, so a binary search finds it. -1 when it is not a child.
 */
export function childIndex(parent: XmlElement, node: XmlNode): number {
  const children = parent.children;
  let low = 0;
  let high = children.length - 1;
  const start = node.start;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = children[middle]!.start;
    if (at < start) low = middle + 1;
    else if (at > start) high = middle - 1;
    else return children[middle] === node ? middle : -1;
  }
  return -1;
}
