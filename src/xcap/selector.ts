/**
 * The node selector of RFC 4825 §6.3: grammar → syntax tree, with every name resolved
 * to its namespace. Parsing never throws anything but a BadRequestError that says
 * what is wrong and where.
 *
 *   node-selector      = element-selector ["/" terminal-selector]
 *   element-selector   = step *( "/" step )
 *   step               = by-name / by-pos / by-attr / by-pos-attr
 *   by-name            = NameorAny
 *   by-pos             = NameorAny "[" position "]"
 *   by-attr            = NameorAny "[" attr-test "]"
 *   by-pos-attr        = NameorAny "[" position "]" "[" attr-test "]"
 *   attr-test          = "@" att-name "=" att-value
 *   NameorAny          = QName / "*"
 *   terminal-selector  = attribute-selector / namespace-selector
 *   attribute-selector = "@" QName
 *   namespace-selector = "namespace::*"
 *
 * Unprefixed element names are in the application usage's default document
 * namespace (not in no namespace, as XPath would have it); unprefixed attribute names
 * are in no namespace; prefixes come from the URI's `xmlns()` query bindings.
 */
import { BadRequestError } from './errors.js';
import { escapeAttribute, isNcName } from './xml/escape.js';
import { parseAttributeValue } from './xml/parser.js';
import { XmlSyntaxError, XML_NAMESPACE } from './xml/tree.js';

export interface ResolvedName {
  readonly prefix: string | null;
  readonly localName: string;
  /** Namespace URI; null for an unprefixed attribute name. */
  readonly namespace: string | null;
}

export interface AttributeTest {
  readonly name: ResolvedName;
  readonly value: string;
}

export interface Step {
  /** null for `*`. */
  readonly name: ResolvedName | null;
  /** 1-based position among the siblings that match `name`, when given. */
  readonly position: number | null;
  readonly attributeTest: AttributeTest | null;
}

export type TerminalSelector =
  | { readonly kind: 'attribute'; readonly name: ResolvedName }
  | { readonly kind: 'namespace' };

export interface NodeSelector {
  readonly steps: readonly Step[];
  readonly terminal: TerminalSelector | null;
  /** The selector text it was parsed from (percent-decoded). */
  readonly text: string;
}

export interface NamespaceContext {
  /** The default document namespace of the application usage. */
  readonly defaultNamespace: string;
  /** Prefix → namespace URI, from the URI query's `xmlns()` parts. */
  readonly bindings: ReadonlyMap<string, string>;
}

/** Largest position accepted; a larger one cannot select anything we would store. */
const MAX_POSITION = 1_000_000_000;
const MAX_STEPS = 256;

export function parseNodeSelector(text: string, context: NamespaceContext): NodeSelector {
  return new SelectorParser(text, context).parse();
}

class SelectorParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly context: NamespaceContext,
  ) {}

  parse(): NodeSelector {
    if (this.text.length === 0) this.fail('the node selector is empty');
    const steps: Step[] = [];
    let terminal: TerminalSelector | null = null;
    for (;;) {
      if (steps.length >= MAX_STEPS) this.fail(`more than ${MAX_STEPS} steps`);
      const c = this.text[this.pos];
      if (steps.length > 0 && c === '@') {
        this.pos++;
        terminal = { kind: 'attribute', name: this.resolveAttributeName(this.readQName('an attribute name')) };
        break;
      }
      if (steps.length > 0 && this.text.startsWith('namespace::*', this.pos)) {
        this.pos += 'namespace::*'.length;
        terminal = { kind: 'namespace' };
        break;
      }
      steps.push(this.readStep());
      if (this.pos >= this.text.length) break;
      if (this.text[this.pos] !== '/') this.fail(`unexpected '${this.text[this.pos]}'`);
      this.pos++;
      if (this.pos >= this.text.length) this.fail('a step is missing after the last "/"');
    }
    if (this.pos < this.text.length) {
      this.fail(`unexpected '${this.text[this.pos]}' after the ${terminal?.kind === 'namespace' ? 'namespace' : 'attribute'} selector`);
    }
    return { steps, terminal, text: this.text };
  }

  private readStep(): Step {
    let name: ResolvedName | null;
    if (this.text[this.pos] === '*') {
      this.pos++;
      name = null;
    } else {
      name = this.resolveElementName(this.readQName('an element name or "*"'));
    }
    let position: number | null = null;
    let attributeTest: AttributeTest | null = null;
    if (this.text[this.pos] === '[') {
      this.pos++;
      const c = this.text.charCodeAt(this.pos);
      if (c >= 0x30 && c <= 0x39) {
        position = this.readPosition();
        this.expect(']');
        if (this.text[this.pos] === '[') {
          this.pos++;
          attributeTest = this.readAttributeTest();
          this.expect(']');
        }
      } else if (this.text[this.pos] === '@') {
        attributeTest = this.readAttributeTest();
        this.expect(']');
      } else {
        this.fail('a predicate must be a position or an attribute test like [@name="value"]');
      }
    }
    return { name, position, attributeTest };
  }

  private readPosition(): number {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    const digits = this.text.slice(start, this.pos);
    const value = Number(digits);
    if (digits.length > 10 || value > MAX_POSITION) this.fail(`position ${digits} is too large`, start);
    return value;
  }

  private readAttributeTest(): AttributeTest {
    this.expect('@');
    const name = this.resolveAttributeName(this.readQName('an attribute name'));
    this.expect('=');
    const quote = this.text[this.pos];
    if (quote !== '"' && quote !== "'") this.fail('the attribute value must be quoted with " or \'');
    const end = this.text.indexOf(quote, this.pos + 1);
    if (end < 0) this.fail('the attribute value has no closing quote');
    const raw = this.text.slice(this.pos + 1, end);
    let value: string;
    try {
      value = parseAttributeValue(raw);
    } catch (e) {
      if (e instanceof XmlSyntaxError) this.fail(`the attribute value is not valid: ${e.message}`, this.pos + 1 + e.offset);
      throw e;
    }
    this.pos = end + 1;
    return { name, value };
  }

  private readQName(what: string): { prefix: string | null; localName: string; at: number } {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '/' || c === '[' || c === ']' || c === '=' || c === '@' || c === '*' || c === '"' || c === "'") break;
      this.pos++;
    }
    const name = this.text.slice(start, this.pos);
    if (name.length === 0) this.fail(`expected ${what}`, start);
    const colon = name.indexOf(':');
    const prefix = colon < 0 ? null : name.slice(0, colon);
    const localName = colon < 0 ? name : name.slice(colon + 1);
    if ((prefix !== null && !isNcName(prefix)) || !isNcName(localName)) {
      this.fail(`'${name}' is not a valid XML name`, start);
    }
    return { prefix, localName, at: start };
  }

  private resolveElementName(q: { prefix: string | null; localName: string; at: number }): ResolvedName {
    if (q.prefix === null) return { prefix: null, localName: q.localName, namespace: this.context.defaultNamespace };
    return { prefix: q.prefix, localName: q.localName, namespace: this.lookup(q.prefix, q.at) };
  }

  private resolveAttributeName(q: { prefix: string | null; localName: string; at: number }): ResolvedName {
    if (q.prefix === null) return { prefix: null, localName: q.localName, namespace: null };
    return { prefix: q.prefix, localName: q.localName, namespace: this.lookup(q.prefix, q.at) };
  }

  private lookup(prefix: string, at: number): string {
    if (prefix === 'xml') return XML_NAMESPACE;
    const uri = this.context.bindings.get(prefix);
    if (uri === undefined) {
      this.fail(`the prefix '${prefix}' is not bound: add ?xmlns(${prefix}=namespace-uri) to the URI`, at);
    }
    return uri;
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) {
      this.fail(this.pos >= this.text.length ? `expected '${c}' at the end` : `expected '${c}' but found '${this.text[this.pos]}'`);
    }
    this.pos++;
  }

  private fail(message: string, at = this.pos): never {
    throw new BadRequestError(`invalid node selector at character ${at + 1}: ${message}`);
  }
}

/** The selector of the parent element: the same steps without the last one (RFC 4825 §8.2.1). */
export function parentSelector(selector: NodeSelector): NodeSelector {
  return { steps: selector.steps.slice(0, -1), terminal: null, text: '' };
}

/** Writes a selector back as text, with the prefixes it was written with. */
export function formatNodeSelector(steps: readonly Step[], terminal: TerminalSelector | null = null): string {
  const parts = steps.map(formatStep);
  if (terminal?.kind === 'attribute') parts.push(`@${formatName(terminal.name)}`);
  if (terminal?.kind === 'namespace') parts.push('namespace::*');
  return parts.join('/');
}

function formatStep(step: Step): string {
  let s = step.name === null ? '*' : formatName(step.name);
  if (step.position !== null) s += `[${step.position}]`;
  if (step.attributeTest !== null) {
    const v = step.attributeTest.value;
    const quote = v.includes('"') && !v.includes("'") ? "'" : '"';
    // escapeAttribute also writes tab, LF and CR as references, which AttValue normalization would turn into spaces.
    s += `[@${formatName(step.attributeTest.name)}=${quote}${escapeAttribute(v, quote)}${quote}]`;
  }
  return s;
}

function formatName(name: ResolvedName): string {
  return name.prefix === null ? name.localName : `${name.prefix}:${name.localName}`;
}
