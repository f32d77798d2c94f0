/**
 * Node selectors (RFC 4825 §6.3) for callers: built step by step, or given as text
 * in any spelling clients use (python-xcaplib's `/resource-lists/list[@name="x"]`,
 * Android's percent-encoded `resource-lists/list%5B@name=%22x%22%5D`, with or
 * without an `?xmlns(...)` query; text holding a literal `[`, `]` or quote is taken as
 * unencoded, so a '%' in it stays a '%'). Either way the client checks the selector before
 * sending it and encodes it itself; callers never hand-encode URIs.
 *
 *   selector('resource-lists')
 *     .step('list', { attribute: ['name', 'friends'] })
 *     .step('entry', { position: 2 })
 *     .attribute('uri')
 *   // resource-lists/list[@name="friends"]/entry[2]/@uri
 */
import { BadRequestError } from '../xcap/errors.js';
import { formatNodeSelector, parseNodeSelector, type NodeSelector, type ResolvedName, type Step, type TerminalSelector } from '../xcap/selector.js';
import { parseXmlnsQuery, percentDecode } from '../xcap/uri.js';
import { isNcName } from '../xcap/xml/escape.js';

export type SelectorKind = 'element' | 'attribute' | 'namespaces';

export interface StepPredicate {
  /** 1-based position among the siblings the name matches. */
  readonly position?: number;
  /** An attribute test `[@name="value"]`; the value is given unescaped. */
  readonly attribute?: readonly [name: string, value: string];
}

/** A selector ready to send: its text (unencoded, no leading '/') and the prefixes it uses. */
export interface ResolvedSelector {
  readonly text: string;
  readonly bindings: ReadonlyMap<string, string>;
  readonly kind: SelectorKind;
}

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

/** Immutable: every call returns a new builder. */
export class NodeSelectorBuilder {
  readonly #steps: readonly Step[];
  readonly #terminal: TerminalSelector | null;
  readonly #bindings: ReadonlyMap<string, string>;

  private constructor(steps: readonly Step[], terminal: TerminalSelector | null, bindings: ReadonlyMap<string, string>) {
    this.#steps = steps;
    this.#terminal = terminal;
    this.#bindings = bindings;
  }

  /** The root element step; `namespaces` binds prefixes used in any step. */
  static root(name: string, predicate: StepPredicate = {}, namespaces: Readonly<Record<string, string>> = {}): NodeSelectorBuilder {
    const bindings = new Map<string, string>();
    for (const [p, u] of Object.entries(namespaces)) bindNamespace(bindings, p, u);
    return new NodeSelectorBuilder([], null, bindings).step(name, predicate);
  }

  /** A child element step: a QName (`entry`, `cp:rule`) or `*`. */
  step(name: string, predicate: StepPredicate = {}): NodeSelectorBuilder {
    this.#open();
    const step: Step = { name: name === '*' ? null : qname(name, 'element'), position: position(predicate.position), attributeTest: null };
    const test = predicate.attribute;
    const withTest: Step = test ? { ...step, attributeTest: { name: qname(test[0], 'attribute'), value: attributeValue(test[1]) } } : step;
    return new NodeSelectorBuilder([...this.#steps, withTest], null, this.#bindings);
  }

  /** Ends the selector at an attribute of the last element. */
  attribute(name: string): NodeSelectorBuilder {
    this.#open();
    return new NodeSelectorBuilder(this.#steps, { kind: 'attribute', name: qname(name, 'attribute') }, this.#bindings);
  }

  /** Ends the selector at the namespace bindings in scope at the last element (`namespace::*`). */
  namespaces(): NodeSelectorBuilder {
    this.#open();
    return new NodeSelectorBuilder(this.#steps, { kind: 'namespace' }, this.#bindings);
  }

  /** Binds a prefix used in a step name (sent as `?xmlns(prefix=uri)`). */
  bind(prefix: string, uri: string): NodeSelectorBuilder {
    const bindings = new Map(this.#bindings);
    bindNamespace(bindings, prefix, uri);
    return new NodeSelectorBuilder(this.#steps, this.#terminal, bindings);
  }

  /** The element selector without the terminal attribute / namespace part. */
  element(): NodeSelectorBuilder {
    return new NodeSelectorBuilder(this.#steps, null, this.#bindings);
  }

  get kind(): SelectorKind {
    return this.#terminal === null ? 'element' : this.#terminal.kind === 'attribute' ? 'attribute' : 'namespaces';
  }

  get bindings(): ReadonlyMap<string, string> {
    return this.#bindings;
  }

  /** The selector text, unencoded and without a leading '/'. */
  toString(): string {
    return formatNodeSelector(this.#steps, this.#terminal);
  }

  #open(): void {
    if (this.#terminal !== null) throw new SelectorError(`the selector already ends with ${this.#terminal.kind === 'attribute' ? 'an attribute' : 'namespace::*'}`);
  }
}

/** `selector('resource-lists')` is `NodeSelectorBuilder.root('resource-lists')`. */
export function selector(name: string, predicate: StepPredicate = {}, namespaces: Readonly<Record<string, string>> = {}): NodeSelectorBuilder {
  return NodeSelectorBuilder.root(name, predicate, namespaces);
}

export type SelectorInput = string | NodeSelectorBuilder;

/**
 * Checks and normalizes a selector given as text or built: strips a leading '/',
 * splits off an `?xmlns()` query, undoes percent-encoding, and parses it so that a
 * mistake is reported before anything is sent. `extra` bindings come from the call's
 * options; the selector's own take precedence.
 */
export function resolveSelector(input: SelectorInput, extra: Readonly<Record<string, string>> = {}): ResolvedSelector {
  const bindings = new Map<string, string>();
  for (const [p, u] of Object.entries(extra)) bindNamespace(bindings, p, u);
  let text: string;
  if (input instanceof NodeSelectorBuilder) {
    text = input.toString();
    for (const [p, u] of input.bindings) bindings.set(p, u);
  } else {
    if (typeof input !== 'string') throw new SelectorError('a node selector must be a string or built with selector()');
    let raw = input.trim();
    const q = queryStart(raw);
    if (q >= 0) {
      try {
        for (const [p, u] of parseXmlnsQuery(raw.slice(q + 1))) bindings.set(p, u);
      } catch (e) {
        throw asSelectorError(e, raw);
      }
      raw = raw.slice(0, q);
    }
    if (raw.startsWith('~~/')) raw = raw.slice(3);
    while (raw.startsWith('/')) raw = raw.slice(1);
    // Literal brackets or quotes mean the unencoded spelling, where a '%' is itself.
    if (/["'[\]]/.test(raw)) {
      text = raw;
    } else {
      try {
        text = percentDecode(raw, 'node selector');
      } catch (e) {
        throw asSelectorError(e, input);
      }
    }
  }
  const parsed = parseSelectorText(text, bindings, 'urn:x-xcap-client:unresolved');
  const kind: SelectorKind = parsed.terminal === null ? 'element' : parsed.terminal.kind === 'attribute' ? 'attribute' : 'namespaces';
  return { text, bindings, kind };
}

/** Parses selector text against a namespace context; SelectorError on a mistake. */
export function parseSelectorText(text: string, bindings: ReadonlyMap<string, string>, defaultNamespace: string): NodeSelector {
  try {
    return parseNodeSelector(text, { defaultNamespace, bindings });
  } catch (e) {
    throw asSelectorError(e, text);
  }
}

function asSelectorError(e: unknown, text: string): unknown {
  if (e instanceof BadRequestError) return new SelectorError(`${e.message.replace(/^invalid node selector/, `invalid node selector '${text}'`)}`);
  return e;
}

/** Index of the '?' that starts the query: the first one outside a quoted attribute value. */
function queryStart(text: string): number {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '?') {
      return i;
    }
  }
  return -1;
}

function bindNamespace(bindings: Map<string, string>, prefix: string, uri: string): void {
  if (!isNcName(prefix) || prefix === 'xmlns' || prefix === 'xml') throw new SelectorError(`'${prefix}' cannot be bound as a namespace prefix`);
  if (uri === '') throw new SelectorError(`the namespace bound to '${prefix}' is empty`);
  bindings.set(prefix, uri);
}

function qname(name: string, what: 'element' | 'attribute'): ResolvedName {
  if (typeof name !== 'string') throw new SelectorError(`an ${what} name must be a string`);
  const colon = name.indexOf(':');
  const prefix = colon < 0 ? null : name.slice(0, colon);
  const localName = colon < 0 ? name : name.slice(colon + 1);
  if ((prefix !== null && !isNcName(prefix)) || !isNcName(localName)) throw new SelectorError(`'${name}' is not a valid ${what} name`);
  // The namespace is resolved when the selector is used, against the application's default.
  return { prefix, localName, namespace: null };
}

function position(p: number | undefined): number | null {
  if (p === undefined) return null;
  if (!Number.isSafeInteger(p) || p < 1) throw new SelectorError(`a position must be an integer from 1, not ${p}`);
  return p;
}

function attributeValue(v: string): string {
  if (typeof v !== 'string') throw new SelectorError('an attribute test value must be a string');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) throw new SelectorError('an attribute test value may not hold control characters');
  return v;
}
