/**
 * A strict, non-validating, namespace-aware XML 1.0 (Fifth Edition) + Namespaces 1.0
 * parser that records exact source offsets for every node (see tree.ts).
 *
 * DTDs are refused outright, which also rules out external entities (XXE) and entity
 * expansion attacks; only the five predefined entities and character references exist.
 *
 * The scanner works on offsets: native indexOf finds markup and the characters that
 * need attention, names are matched against recently seen ones, and a value is
 * decoded only when it holds a reference or a character that normalization changes
 * (otherwise it is a slice of the source). Most of the cost of a large document is
 * allocating its tree, so the nodes are kept small and their arrays exactly sized.
 */
import {
  DEFAULT_XML_LIMITS,
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  XmlSyntaxError,
  type XmlAttribute,
  type XmlCData,
  type XmlComment,
  type XmlDocument,
  type XmlElement,
  type XmlNamespaceDeclaration,
  type XmlNode,
  type XmlParseLimits,
  type XmlProcessingInstruction,
  type XmlText,
} from './tree.js';
import { ASCII_NAME_CLASS, NAME_CHAR, NAME_START, isNonAsciiNameChar, isNonAsciiNameStartChar, isXmlChar } from './escape.js';

type Reason = XmlSyntaxError['reason'];

interface MutableElement {
  kind: 'element';
  qname: string;
  prefix: string | null;
  localName: string;
  namespace: string | null;
  attributes: readonly XmlAttribute[];
  namespaceDeclarations: readonly XmlNamespaceDeclaration[];
  children: readonly XmlNode[];
  parent: MutableElement | null;
  start: number;
  startTagEnd: number;
  endTagStart: number;
  end: number;
  selfClosing: boolean;
}

interface MutableAttribute {
  qname: string;
  prefix: string | null;
  localName: string;
  namespace: string | null;
  value: string;
  start: number;
  end: number;
  valueStart: number;
  valueEnd: number;
  quote: '"' | "'";
}

// Shared, frozen: a mutation attempt fails loudly instead of corrupting other nodes.
const NO_ATTRIBUTES: readonly XmlAttribute[] = Object.freeze([]);
const NO_DECLARATIONS: readonly XmlNamespaceDeclaration[] = Object.freeze([]);
const NO_CHILDREN: readonly XmlNode[] = Object.freeze([]);

/*
 * Elements, attributes and text nodes are made by constructors rather than object
 * literals: V8 tracks literal allocation sites and, seeing whole trees survive,
 * switches them to old-generation allocation and back, which made back-to-back
 * parses of a 1 MB document erratic and up to three times slower. Each constructor's
 * prototype is Object.prototype, so the nodes are still plain objects to consumers
 * (spread, JSON, deepStrictEqual against literals).
 */

interface ElementNodeConstructor {
  new (
    name: ScannedName,
    namespace: string | null,
    attributes: readonly XmlAttribute[],
    namespaceDeclarations: readonly XmlNamespaceDeclaration[],
    parent: MutableElement | null,
    start: number,
    startTagEnd: number,
    selfClosing: boolean,
  ): MutableElement;
}

const ElementNode = function (
  this: MutableElement,
  name: ScannedName,
  namespace: string | null,
  attributes: readonly XmlAttribute[],
  namespaceDeclarations: readonly XmlNamespaceDeclaration[],
  parent: MutableElement | null,
  start: number,
  startTagEnd: number,
  selfClosing: boolean,
): void {
  this.kind = 'element';
  this.qname = name.qname;
  this.prefix = name.prefix;
  this.localName = name.localName;
  this.namespace = namespace;
  this.attributes = attributes;
  this.namespaceDeclarations = namespaceDeclarations;
  this.children = NO_CHILDREN;
  this.parent = parent;
  this.start = start;
  this.startTagEnd = startTagEnd;
  // Completed by the end tag unless this is an empty-element tag.
  this.endTagStart = selfClosing ? startTagEnd : -1;
  this.end = selfClosing ? startTagEnd : -1;
  this.selfClosing = selfClosing;
} as unknown as ElementNodeConstructor;
ElementNode.prototype = Object.prototype;

interface AttributeNodeConstructor {
  new (
    name: ScannedName,
    value: string,
    start: number,
    end: number,
    valueStart: number,
    valueEnd: number,
    quote: '"' | "'",
  ): MutableAttribute;
}

const AttributeNode = function (
  this: MutableAttribute,
  name: ScannedName,
  value: string,
  start: number,
  end: number,
  valueStart: number,
  valueEnd: number,
  quote: '"' | "'",
): void {
  this.qname = name.qname;
  this.prefix = name.prefix;
  this.localName = name.localName;
  // Resolved once all the namespace declarations of the tag are known.
  this.namespace = null;
  this.value = value;
  this.start = start;
  this.end = end;
  this.valueStart = valueStart;
  this.valueEnd = valueEnd;
  this.quote = quote;
} as unknown as AttributeNodeConstructor;
AttributeNode.prototype = Object.prototype;

interface TextNodeConstructor {
  new (value: string, start: number, end: number): XmlText;
}

const TextNode = function (this: { -readonly [K in keyof XmlText]: XmlText[K] }, value: string, start: number, end: number): void {
  this.kind = 'text';
  this.value = value;
  this.start = start;
  this.end = end;
} as unknown as TextNodeConstructor;
TextNode.prototype = Object.prototype;

/** Code units that are never XML Chars (surrogates are checked for pairing separately). */
const NON_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** Whether `s` has no unpaired surrogate; native where available (one pass, no work for Latin-1 strings). */
function isWellFormed(s: string): boolean {
  return nativeIsWellFormed === undefined ? firstUnpairedSurrogate(s) < 0 : nativeIsWellFormed.call(s);
}

function firstUnpairedSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['apos', "'"],
  ['quot', '"'],
]);

/** A well-formed XML declaration in one match; group 1 or 2 is the encoding. */
const XML_DECLARATION =
  /<\?xml[\x20\t\r\n]+version[\x20\t\r\n]*=[\x20\t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[\x20\t\r\n]+encoding[\x20\t\r\n]*=[\x20\t\r\n]*(?:"([A-Za-z][A-Za-z0-9._-]*)"|'([A-Za-z][A-Za-z0-9._-]*)'))?(?:[\x20\t\r\n]+standalone[\x20\t\r\n]*=[\x20\t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[\x20\t\r\n]*\?>/y;
/** One pseudo-attribute of an XML declaration, for finding what is wrong with one. */
const XML_DECLARATION_ITEM = /[\x20\t\r\n]+([A-Za-z]+)[\x20\t\r\n]*=[\x20\t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y;
const XML_DECLARATION_ORDER = ['version', 'encoding', 'standalone'];

/** Ties a fragment's root to the bindings it was parsed in, for {@link inScopeNamespaces}. */
const fragmentContexts = new WeakMap<XmlElement, ReadonlyMap<string, string>>();

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_BANG = 33;
const CH_DQUOTE = 34;
const CH_HASH = 35;
const CH_SQUOTE = 39;
const CH_SLASH = 47;
const CH_COLON = 58;
const CH_SEMICOLON = 59;
const CH_LT = 60;
const CH_EQ = 61;
const CH_GT = 62;
const CH_QUESTION = 63;
const CH_X = 120;

function isWhitespace(c: number): boolean {
  return c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR;
}

/** `from.slice(start, end)`, which as a builtin call cost more than this copy for the usual handful of nodes. */
function copyRun<T>(from: readonly T[], start: number, end: number): T[] {
  const n = end - start;
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = from[start + i]!;
  return out;
}

function isWhitespaceOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isWhitespace(s.charCodeAt(i))) return false;
  return true;
}

const LINE_END = /\r\n?/g;
/** Literal whitespace in an attribute value; CRLF first, as line ends are normalized before §3.3.3. */
const ATTRIBUTE_WHITESPACE = /\r\n|[\t\n\r]/g;

/** "line L, column C" of an offset; columns count code points, lines end at LF, CR or CRLF. */
function describePosition(source: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  const limit = Math.min(offset, source.length);
  for (let i = 0; i < limit; i++) {
    const c = source.charCodeAt(i);
    if (c === CH_LF || (c === CH_CR && source.charCodeAt(i + 1) !== CH_LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < limit; i++) {
    const c = source.charCodeAt(i);
    const isLowSurrogateOfPair =
      c >= 0xdc00 && c <= 0xdfff && i > lineStart && (source.charCodeAt(i - 1) & 0xfc00) === 0xd800;
    if (!isLowSurrogateOfPair) column++;
  }
  return `line ${line}, column ${column}`;
}

function describeCodeUnit(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A scanned QName, kept so that a name seen again costs one comparison and no new strings. */
interface ScannedName {
  readonly qname: string;
  readonly prefix: string | null;
  readonly localName: string;
}


const MAX_CACHED_WHITESPACE = 40;

class Parser {
  private readonly src: string;
  private readonly len: number;
  private readonly maxDepth: number;
  private readonly maxAttributes: number;
  /** Set when parsing an element body: top-level errors then say "not a single element". */
  private readonly fragment: boolean;

  /**
   * Namespace bindings in scope: for each prefix, its URIs from outermost to innermost
   * declaration. A map rather than a scanned list, so that lookups stay constant-time
   * however many declarations a hostile document piles up.
   */
  private readonly bindings = new Map<string, string[]>([['xml', [XML_NAMESPACE]]]);
  /** The innermost default namespace declaration ('' when undeclared), kept at hand for unprefixed names. */
  private defaultNamespace = '';
  /** Prefixes declared by the open elements, in order, to undo as they close. */
  private readonly declaredPrefixes: string[] = [];
  /** `declaredPrefixes.length` when the element at each depth opened. */
  private readonly nsMarks: number[] = [];

  /** Offset just past the last construct parsed by a helper that returns a value. */
  private pos = 0;
  /** Offset of the colon in the last name scanned by {@link qualifiedName}, or -1. */
  private colon = -1;
  /** Target of the last processing instruction parsed. */
  private piTarget = '';

  /** Names of the attributes of the start tag being parsed (reused between tags). */
  private readonly attributeNames: string[] = [];
  /** Attributes of the start tag being parsed (reused between tags). */
  private readonly attributeScratch: MutableAttribute[] = [];
  /*
   * Per parse, not shared: a slice of 13 or more characters refers to its source
   * string in V8, so a shared cache would keep old documents alive.
   */
  /** Recently scanned names, by their first two characters. */
  private readonly nameCache = new Array<ScannedName | undefined>(64);
  /** Recently seen whitespace-only text (indentation), by length. */
  private readonly whitespaceCache = new Array<string | undefined>(MAX_CACHED_WHITESPACE + 1);

  /*
   * Offsets of the next occurrence of a character at or after the last query (`len`
   * when there is none). Queries only move forward, so each stretch of the source is
   * searched once by the native indexOf, however many text nodes and attribute values
   * it is divided into; checking a value for '&' is then a comparison, not a loop.
   */
  private nextLt = -1;
  private nextAmp = -1;
  private nextCr = -1;
  private nextLf = -1;
  private nextTab = -1;
  private nextCdataClose = -1;

  constructor(source: string, limits: Partial<XmlParseLimits> | undefined, fragment: boolean) {
    const maxLength = limits?.maxLength ?? DEFAULT_XML_LIMITS.maxLength;
    this.maxDepth = limits?.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
    this.maxAttributes = limits?.maxAttributes ?? DEFAULT_XML_LIMITS.maxAttributes;
    this.src = source;
    this.len = source.length;
    this.fragment = fragment;
    if (source.length > maxLength) {
      throw new XmlSyntaxError(
        `the XML text is ${source.length} characters long, more than the limit of ${maxLength}`,
        maxLength,
        'too-large',
      );
    }
    this.checkCharacters();
  }

  fail(offset: number, message: string, reason: Reason = 'syntax'): never {
    throw new XmlSyntaxError(`${describePosition(this.src, offset)}: ${message}`, offset, reason);
  }

  /**
   * Fails for a top-level problem, worded for documents or for element bodies. The
   * latter start with "not a single element:", which callers map to RFC 4825
   * not-xml-frag, so their position goes last.
   */
  private failTopLevel(offset: number, documentMessage: string, fragmentMessage: string): never {
    if (!this.fragment) this.fail(offset, documentMessage);
    throw new XmlSyntaxError(
      `not a single element: ${fragmentMessage} (${describePosition(this.src, offset)})`,
      offset,
      'syntax',
    );
  }

  /** Native passes over the whole text, so that no scanner below has to check characters. */
  private checkCharacters(): void {
    const src = this.src;
    const control = src.search(NON_CHARACTER);
    const surrogate = isWellFormed(src) ? -1 : firstUnpairedSurrogate(src);
    if (control < 0 && surrogate < 0) return;
    const at = surrogate < 0 || (control >= 0 && control < surrogate) ? control : surrogate;
    const code = describeCodeUnit(src.charCodeAt(at));
    this.fail(at, `${at === surrogate ? `unpaired surrogate ${code}` : `character ${code}`} is not allowed in XML`);
  }

  // ---- next-occurrence caches -------------------------------------------------------

  private ltFrom(from: number): number {
    let i = this.nextLt;
    if (i < from) {
      i = this.src.indexOf('<', from);
      this.nextLt = i = i < 0 ? this.len : i;
    }
    return i;
  }

  private ampFrom(from: number): number {
    let i = this.nextAmp;
    if (i < from) {
      i = this.src.indexOf('&', from);
      this.nextAmp = i = i < 0 ? this.len : i;
    }
    return i;
  }

  private crFrom(from: number): number {
    let i = this.nextCr;
    if (i < from) {
      i = this.src.indexOf('\r', from);
      this.nextCr = i = i < 0 ? this.len : i;
    }
    return i;
  }

  private lfFrom(from: number): number {
    let i = this.nextLf;
    if (i < from) {
      i = this.src.indexOf('\n', from);
      this.nextLf = i = i < 0 ? this.len : i;
    }
    return i;
  }

  private tabFrom(from: number): number {
    let i = this.nextTab;
    if (i < from) {
      i = this.src.indexOf('\t', from);
      this.nextTab = i = i < 0 ? this.len : i;
    }
    return i;
  }

  private cdataCloseFrom(from: number): number {
    let i = this.nextCdataClose;
    if (i < from) {
      i = this.src.indexOf(']]>', from);
      this.nextCdataClose = i = i < 0 ? this.len : i;
    }
    return i;
  }

  // ---- top level ------------------------------------------------------------------

  parseDocument(): XmlDocument {
    let pos = this.src.charCodeAt(0) === 0xfeff ? 1 : 0;
    let declarationEnd = 0;
    let declaredEncoding: string | null = null;
    if (this.src.startsWith('<?xml', pos) && !this.isNameCharAt(pos + 5)) {
      declaredEncoding = this.xmlDeclaration(pos);
      declarationEnd = this.pos;
      pos = declarationEnd;
    }
    const rootStart = this.skipMisc(pos, false);
    if (rootStart >= this.len) this.failTopLevel(this.len, 'the document has no root element', 'no element found');
    const root = this.element(rootStart);
    const after = this.skipMisc(root.end, true);
    if (after < this.len) {
      this.failTopLevel(after, 'only one root element is allowed', 'more than one top-level element');
    }
    return { source: this.src, root, declarationEnd, declaredEncoding };
  }

  parseFragment(inScope: ReadonlyMap<string, string>): XmlElement {
    const context = new Map<string, string>();
    for (const [prefix, uri] of inScope) {
      // Bindings no document could make are ignored rather than trusted.
      if (prefix === 'xml' || prefix === 'xmlns' || (uri === '' && prefix !== '')) continue;
      context.set(prefix, uri);
      this.bindings.set(prefix, [uri]);
      if (prefix === '') this.defaultNamespace = uri;
    }
    // Top-level rules are those of a document (an XML declaration may come first);
    // only the wording of the errors differs.
    const document = this.parseDocument();
    if (context.size > 0) fragmentContexts.set(document.root, context);
    return document.root;
  }

  /** Parses `<?xml version=... encoding=... standalone=...?>`; returns the encoding. */
  private xmlDeclaration(start: number): string | null {
    const src = this.src;
    XML_DECLARATION.lastIndex = start;
    const whole = XML_DECLARATION.exec(src);
    if (whole !== null) {
      this.pos = XML_DECLARATION.lastIndex;
      return whole[1] ?? whole[2] ?? null;
    }
    // Not well-formed: go through it item by item to say what is wrong.
    let p = start + 5;
    let encoding: string | null = null;
    let lastOrder = -1;
    for (;;) {
      XML_DECLARATION_ITEM.lastIndex = p;
      const m = XML_DECLARATION_ITEM.exec(src);
      if (m === null) break;
      const name = m[1]!;
      const value = m[2] ?? m[3] ?? '';
      const nameAt = src.indexOf(name, m.index);
      const order = XML_DECLARATION_ORDER.indexOf(name);
      if (order < 0) {
        this.fail(nameAt, `unknown item '${name}' in the XML declaration (allowed: version, encoding, standalone, in that order)`);
      }
      if (order <= lastOrder || (lastOrder < 0 && order !== 0)) {
        this.fail(nameAt, `'${name}' is out of place in the XML declaration (expected version, encoding, standalone, in that order)`);
      }
      lastOrder = order;
      if (name === 'version' && !/^1\.[0-9]+$/.test(value)) {
        this.fail(nameAt, `unsupported XML version '${value}' (expected 1.0)`);
      }
      if (name === 'encoding') {
        if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(value)) this.fail(nameAt, `invalid encoding name '${value}' in the XML declaration`);
        encoding = value;
      }
      if (name === 'standalone' && value !== 'yes' && value !== 'no') {
        this.fail(nameAt, `standalone must be 'yes' or 'no', not '${value}'`);
      }
      p = XML_DECLARATION_ITEM.lastIndex;
    }
    if (lastOrder < 0) this.fail(p, 'the XML declaration must start with a version, e.g. <?xml version="1.0"?>');
    while (isWhitespace(src.charCodeAt(p))) p++;
    if (!src.startsWith('?>', p)) this.fail(p, "malformed XML declaration: expected '?>'");
    this.pos = p + 2;
    return encoding;
  }

  /**
   * Skips whitespace, comments and PIs outside the root element; returns the offset of
   * the next element's '<' or the end of the input.
   */
  private skipMisc(pos: number, afterRoot: boolean): number {
    const src = this.src;
    const len = this.len;
    for (;;) {
      while (pos < len && isWhitespace(src.charCodeAt(pos))) pos++;
      if (pos >= len) return pos;
      if (src.charCodeAt(pos) !== CH_LT) {
        this.failTopLevel(
          pos,
          `text is not allowed ${afterRoot ? 'after' : 'before'} the root element`,
          'text outside the element',
        );
      }
      const next = src.charCodeAt(pos + 1);
      if (next === CH_BANG) {
        if (src.startsWith('<!--', pos)) pos = this.comment(pos);
        else if (src.startsWith('<!DOCTYPE', pos)) this.refuseDoctype(pos);
        else if (src.startsWith('<![CDATA[', pos)) {
          this.failTopLevel(pos, 'a CDATA section is not allowed outside the root element', 'CDATA section outside the element');
        } else this.fail(pos, "unexpected '<!': expected a comment");
      } else if (next === CH_QUESTION) {
        pos = this.processingInstruction(pos);
      } else {
        return pos;
      }
    }
  }

  private refuseDoctype(pos: number): never {
    this.fail(pos, 'document type declarations (<!DOCTYPE ...>) are not accepted: DTDs are not supported', 'doctype');
  }

  // ---- elements -------------------------------------------------------------------

  /** Parses the element whose '<' is at `start`, with everything inside it. */
  private element(start: number): MutableElement {
    const src = this.src;
    const len = this.len;
    const root = this.startTag(start, null, 1);
    if (root.selfClosing) return root;
    // The children of all open elements, innermost last. An element's run is copied
    // out exactly sized when it closes: arrays grown by push are mostly spare
    // capacity, and the collector copies those bytes while the tree is being built.
    const nodes: XmlNode[] = [];
    let top = 0;
    const childStarts: number[] = [0, 0];
    let current = root;
    let depth = 1;
    let pos = root.startTagEnd;
    for (;;) {
      const lt = this.ltFrom(pos);
      if (lt >= len) {
        this.fail(
          len,
          `unexpected end of input: element <${current.qname}> started at ${describePosition(src, current.start)} is not closed`,
        );
      }
      if (lt !== pos) nodes[top++] = this.text(pos, lt);
      const next = src.charCodeAt(lt + 1);
      if (next === CH_SLASH) {
        pos = this.endTag(lt, current);
        current.endTagStart = lt;
        current.end = pos;
        const first = childStarts[depth]!;
        if (top > first) {
          current.children = copyRun(nodes, first, top);
          top = first;
        }
        this.undeclareNamespaces(this.nsMarks[depth]!);
        depth--;
        if (depth === 0) return root;
        current = current.parent!;
      } else if (next === CH_BANG) {
        if (src.startsWith('<!--', lt)) {
          pos = this.comment(lt);
          const node: XmlComment = { kind: 'comment', start: lt, end: pos };
          nodes[top++] = node;
        } else if (src.startsWith('<![CDATA[', lt)) {
          nodes[top++] = this.cdata(lt);
          pos = this.pos;
        } else if (src.startsWith('<!DOCTYPE', lt)) {
          this.refuseDoctype(lt);
        } else {
          this.fail(lt, "unexpected '<!': expected a comment or a CDATA section");
        }
      } else if (next === CH_QUESTION) {
        pos = this.processingInstruction(lt);
        const node: XmlProcessingInstruction = { kind: 'pi', target: this.piTarget, start: lt, end: pos };
        nodes[top++] = node;
      } else {
        const child = this.startTag(lt, current, depth + 1);
        nodes[top++] = child;
        pos = child.startTagEnd;
        if (!child.selfClosing) {
          current = child;
          childStarts[++depth] = top;
        }
      }
    }
  }

  /**
   * Parses a start tag or empty-element tag; pushes its namespace bindings (popped at
   * once for an empty-element tag, else when its end tag is read).
   */
  private startTag(start: number, parent: MutableElement | null, depth: number): MutableElement {
    const src = this.src;
    if (depth > this.maxDepth) {
      this.fail(start, `elements are nested more than ${this.maxDepth} deep`, 'too-deep');
    }
    const name = this.name(start + 1, "an element name after '<'");
    const qname = name.qname;
    const nsMark = this.declaredPrefixes.length;
    this.nsMarks[depth] = nsMark;

    const attributes = this.attributeScratch;
    const names = this.attributeNames;
    let attributeCount = 0;
    let count = 0;
    let declarations: XmlNamespaceDeclaration[] | null = null;
    let hasPrefixedAttribute = false;
    let seen: Set<string> | null = null;
    let p = this.pos;
    let tagEnd: number;
    let selfClosing: boolean;
    for (;;) {
      let q = p;
      let c = src.charCodeAt(q);
      while (c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR) c = src.charCodeAt(++q);
      if (c === CH_GT) {
        tagEnd = q + 1;
        selfClosing = false;
        break;
      }
      if (c === CH_SLASH) {
        if (src.charCodeAt(q + 1) !== CH_GT) this.fail(q + 1, `expected '>' after '/' in the tag <${qname}>`);
        tagEnd = q + 2;
        selfClosing = true;
        break;
      }
      if (q >= this.len) this.fail(q, `unexpected end of input inside the start tag <${qname}>`);
      if (q === p) this.fail(q, `expected whitespace, '>' or '/>' in the start tag <${qname}>`);

      // An attribute: Name Eq AttValue.
      const attrStart = q;
      const attrName = this.name(q, `an attribute name, '>' or '/>' in the start tag <${qname}>`);
      const attrQname = attrName.qname;
      if (++count > this.maxAttributes) {
        this.fail(attrStart, `the element <${qname}> has more than ${this.maxAttributes} attributes`, 'too-large');
      }
      q = this.pos;
      c = src.charCodeAt(q);
      while (c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR) c = src.charCodeAt(++q);
      if (c !== CH_EQ) this.fail(q, `expected '=' after the attribute name ${attrQname}`);
      c = src.charCodeAt(++q);
      while (c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR) c = src.charCodeAt(++q);
      if (c !== CH_DQUOTE && c !== CH_SQUOTE) this.fail(q, `the value of the attribute ${attrQname} must be in quotes`);
      const valueStart = q + 1;
      const valueEnd = src.indexOf(c === CH_DQUOTE ? '"' : "'", valueStart);
      if (valueEnd < 0) this.fail(q, `the value of the attribute ${attrQname} is not closed`);
      const lt = this.ltFrom(valueStart);
      if (lt < valueEnd) this.fail(lt, `'<' is not allowed in the value of the attribute ${attrQname} (write &lt;)`);
      const needsDecoding =
        this.ampFrom(valueStart) < valueEnd ||
        this.lfFrom(valueStart) < valueEnd ||
        this.crFrom(valueStart) < valueEnd ||
        this.tabFrom(valueStart) < valueEnd;
      const value = needsDecoding ? this.decodeAttributeValue(valueStart, valueEnd) : src.slice(valueStart, valueEnd);
      p = valueEnd + 1;

      // Quadratic for the usual handful of attributes, a set beyond that.
      if (count <= 16) {
        for (let k = 0; k < count - 1; k++) if (names[k] === attrQname) this.duplicateAttribute(attrStart, attrQname, qname);
        names[count - 1] = attrQname;
      } else {
        seen ??= new Set(names.slice(0, 16));
        if (seen.has(attrQname)) this.duplicateAttribute(attrStart, attrQname, qname);
        seen.add(attrQname);
      }

      const prefix = attrName.prefix;
      if (prefix === null ? attrQname === 'xmlns' : prefix === 'xmlns') {
        const declared = prefix === null ? '' : attrName.localName;
        this.declareNamespace(declared, value, attrStart);
        (declarations ??= []).push({ prefix: declared, uri: value, start: attrStart, end: p });
      } else {
        if (prefix !== null) hasPrefixedAttribute = true;
        attributes[attributeCount++] = new AttributeNode(
          attrName,
          value,
          attrStart,
          p,
          valueStart,
          valueEnd,
          c === CH_DQUOTE ? '"' : "'",
        );
      }
    }

    const prefix = name.prefix;
    let namespace: string | null;
    if (prefix === null) {
      namespace = this.defaultNamespace === '' ? null : this.defaultNamespace;
    } else {
      if (prefix === 'xmlns') this.fail(start + 1, `element names must not have the prefix xmlns (<${qname}>)`, 'namespace');
      const uri = this.lookupNamespace(prefix);
      if (uri === undefined) {
        this.fail(start + 1, `the prefix ${prefix} of the element <${qname}> is not bound to a namespace`, 'namespace');
      }
      namespace = uri;
    }
    if (hasPrefixedAttribute) this.resolveAttributePrefixes(attributes, attributeCount, qname);
    if (selfClosing) this.undeclareNamespaces(nsMark);

    return new ElementNode(
      name,
      namespace,
      attributeCount === 0 ? NO_ATTRIBUTES : copyRun(attributes, 0, attributeCount),
      declarations ?? NO_DECLARATIONS,
      parent,
      start,
      tagEnd,
      selfClosing,
    );
  }

  private duplicateAttribute(offset: number, name: string, element: string): never {
    this.fail(offset, `the attribute ${name} appears more than once in the start tag <${element}>`);
  }

  private declareNamespace(prefix: string, uri: string, offset: number): void {
    if (prefix === 'xmlns') this.fail(offset, 'the prefix xmlns must not be declared', 'namespace');
    if (prefix === 'xml') {
      if (uri !== XML_NAMESPACE) this.fail(offset, `the prefix xml may only be bound to ${XML_NAMESPACE}`, 'namespace');
    } else {
      if (uri === XML_NAMESPACE) this.fail(offset, `only the prefix xml may be bound to ${XML_NAMESPACE}`, 'namespace');
      if (uri === XMLNS_NAMESPACE) this.fail(offset, `no prefix may be bound to ${XMLNS_NAMESPACE}`, 'namespace');
      if (uri === '' && prefix !== '') {
        this.fail(offset, `xmlns:${prefix}="" is not allowed: a prefix cannot be undeclared in Namespaces in XML 1.0`, 'namespace');
      }
    }
    const uris = this.bindings.get(prefix);
    if (uris === undefined) this.bindings.set(prefix, [uri]);
    else uris.push(uri);
    if (prefix === '') this.defaultNamespace = uri;
    this.declaredPrefixes.push(prefix);
  }

  /** Drops the declarations made since `declaredPrefixes` had length `mark`. */
  private undeclareNamespaces(mark: number): void {
    const declared = this.declaredPrefixes;
    while (declared.length > mark) {
      const prefix = declared.pop()!;
      const uris = this.bindings.get(prefix)!;
      uris.pop();
      if (prefix === '') this.defaultNamespace = uris.length === 0 ? '' : uris[uris.length - 1]!;
    }
  }

  private lookupNamespace(prefix: string): string | undefined {
    const uris = this.bindings.get(prefix);
    return uris === undefined || uris.length === 0 ? undefined : uris[uris.length - 1];
  }

  private resolveAttributePrefixes(attributes: MutableAttribute[], count: number, element: string): void {
    // Expanded names seen so far, by "localName namespace" (a local name has no space).
    const byExpandedName = count > 16 ? new Map<string, MutableAttribute>() : null;
    for (let i = 0; i < count; i++) {
      const a = attributes[i]!;
      if (a.prefix === null) continue;
      const uri = this.lookupNamespace(a.prefix);
      if (uri === undefined) {
        this.fail(a.start, `the prefix ${a.prefix} of the attribute ${a.qname} is not bound to a namespace`, 'namespace');
      }
      a.namespace = uri;
      let clash: MutableAttribute | undefined;
      if (byExpandedName === null) {
        for (let j = 0; j < i && clash === undefined; j++) {
          const b = attributes[j]!;
          if (b.namespace === uri && b.localName === a.localName) clash = b;
        }
      } else {
        const key = `${a.localName} ${uri}`;
        clash = byExpandedName.get(key);
        byExpandedName.set(key, a);
      }
      if (clash !== undefined) {
        this.fail(
          a.start,
          `the attributes ${clash.qname} and ${a.qname} of <${element}> have the same expanded name {${uri}}${a.localName}`,
          'namespace',
        );
      }
    }
  }

  /** Parses `</name S? >` closing `open`; returns the offset past the '>'. */
  private endTag(lt: number, open: MutableElement): number {
    const src = this.src;
    const nameStart = lt + 2;
    const expected = open.qname;
    let p = nameStart + expected.length;
    let c = src.charCodeAt(p);
    if ((c === CH_GT || isWhitespace(c)) && src.slice(nameStart, p) === expected) {
      while (isWhitespace(c)) c = src.charCodeAt(++p);
      if (c === CH_GT) return p + 1;
      this.fail(p, `expected '>' to close the end tag </${expected}>`);
    }
    if (!this.isNameStartCharAt(nameStart)) this.fail(nameStart, "expected an element name after '</'");
    let end = nameStart;
    while (end < this.len && this.isNameCharAt(end)) end += this.nameCharWidth(end);
    const name = src.slice(nameStart, end);
    if (name === expected) {
      while (isWhitespace(src.charCodeAt(end))) end++;
      this.fail(end, `expected '>' to close the end tag </${expected}>`);
    }
    this.fail(lt, `end tag </${name}> does not match start tag <${expected}> at ${describePosition(src, open.start)}`);
  }

  // ---- names ----------------------------------------------------------------------

  /** Scans the QName at `pos`, reusing a recent identical name; leaves its end in `pos`. */
  private name(pos: number, expected: string): ScannedName {
    const src = this.src;
    const slot = (src.charCodeAt(pos) * 7 + src.charCodeAt(pos + 1)) & 63;
    const cached = this.nameCache[slot];
    if (cached !== undefined) {
      const end = pos + cached.qname.length;
      const after = src.charCodeAt(end);
      if (after < 128 && (ASCII_NAME_CLASS[after]! & NAME_CHAR) === 0 && src.slice(pos, end) === cached.qname) {
        this.pos = end;
        return cached;
      }
    }
    const end = this.qualifiedName(pos, expected);
    const colon = this.colon;
    const qname = src.slice(pos, end);
    const scanned: ScannedName =
      colon < 0
        ? { qname, prefix: null, localName: qname }
        : { qname, prefix: src.slice(pos, colon), localName: src.slice(colon + 1, end) };
    this.nameCache[slot] = scanned;
    this.pos = end;
    return scanned;
  }

  /**
   * Scans a Name at `pos` that must also be a QName (NCName, or NCName:NCName);
   * returns its end and leaves the colon's offset (or -1) in `colon`.
   */
  private qualifiedName(pos: number, expected: string): number {
    const src = this.src;
    let i = pos;
    let c = src.charCodeAt(i);
    if (c < 128) {
      if ((ASCII_NAME_CLASS[c]! & NAME_START) === 0) this.fail(pos, `expected ${expected}`);
      i++;
    } else {
      i = this.nonAsciiNameCharEnd(i, true);
      if (i < 0) this.fail(pos, `expected ${expected}`);
    }
    let colon = c === CH_COLON ? pos : -1;
    let colons = colon < 0 ? 0 : 1;
    for (;;) {
      c = src.charCodeAt(i);
      if (c < 128) {
        if ((ASCII_NAME_CLASS[c]! & NAME_CHAR) === 0) break;
        if (c === CH_COLON) {
          colons++;
          colon = i;
        }
        i++;
      } else if (i < this.len) {
        const next = this.nonAsciiNameCharEnd(i, false);
        if (next < 0) break;
        i = next;
      } else {
        break;
      }
    }
    if (colons > 0) {
      const name = src.slice(pos, i);
      if (colons > 1) this.fail(pos, `the name ${name} has more than one colon`, 'namespace');
      if (colon === pos || colon === i - 1) this.fail(pos, `the name ${name} has an empty prefix or local part`, 'namespace');
      if (!this.isNameStartCharAt(colon + 1)) {
        this.fail(colon + 1, `the local part of the name ${name} does not start with a name start character`, 'namespace');
      }
    }
    this.colon = colon;
    return i;
  }

  /** For a non-ASCII code unit at `i`: the end of the name character there, or -1. */
  private nonAsciiNameCharEnd(i: number, mustStart: boolean): number {
    const src = this.src;
    const c = src.charCodeAt(i);
    let cp = c;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = src.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return -1;
      cp = (c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      width = 2;
    }
    const ok = mustStart ? isNonAsciiNameStartChar(cp) : isNonAsciiNameChar(cp);
    return ok ? i + width : -1;
  }

  private isNameStartCharAt(i: number): boolean {
    const c = this.src.charCodeAt(i);
    if (c < 128) return (ASCII_NAME_CLASS[c]! & NAME_START) !== 0;
    return i < this.len && this.nonAsciiNameCharEnd(i, true) > 0;
  }

  private isNameCharAt(i: number): boolean {
    const c = this.src.charCodeAt(i);
    if (c < 128) return (ASCII_NAME_CLASS[c]! & NAME_CHAR) !== 0;
    return i < this.len && this.nonAsciiNameCharEnd(i, false) > 0;
  }

  private nameCharWidth(i: number): number {
    const c = this.src.charCodeAt(i);
    return c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }

  // ---- character data and references ----------------------------------------------

  private text(start: number, end: number): XmlText {
    const close = this.cdataCloseFrom(start);
    if (close + 2 < end) this.fail(close, "']]>' is not allowed in text (write ]]&gt;)");
    let value: string;
    if (this.ampFrom(start) < end || this.crFrom(start) < end) {
      value = this.decodeText(start, end);
    } else {
      value = this.src.slice(start, end);
      const length = end - start;
      // Indentation repeats throughout a document: keep one copy of each run.
      if (length <= MAX_CACHED_WHITESPACE) {
        const cached = this.whitespaceCache[length];
        if (cached === value) value = cached;
        else if (isWhitespaceOnly(value)) this.whitespaceCache[length] = value;
      }
    }
    return new TextNode(value, start, end);
  }

  /** Text with references expanded and line ends normalized to LF. */
  private decodeText(start: number, end: number): string {
    const src = this.src;
    let out = '';
    let p = start;
    while (p < end) {
      const amp = Math.min(this.ampFrom(p), end);
      if (amp > p) {
        const literal = src.slice(p, amp);
        out += literal.includes('\r') ? literal.replace(LINE_END, '\n') : literal;
      }
      if (amp === end) break;
      out += this.reference(amp, end);
      p = this.pos;
    }
    return out;
  }

  /** An attribute value normalized per XML 1.0 §3.3.3 (CDATA type: no trimming). */
  decodeAttributeValue(start: number, end: number): string {
    const src = this.src;
    let out = '';
    let p = start;
    while (p < end) {
      const amp = Math.min(this.ampFrom(p), end);
      if (amp > p) out += src.slice(p, amp).replace(ATTRIBUTE_WHITESPACE, ' ');
      if (amp === end) break;
      out += this.reference(amp, end);
      p = this.pos;
    }
    return out;
  }

  /** Expands the reference whose '&' is at `amp` (ending before `limit`); sets `pos` past the ';'. */
  private reference(amp: number, limit: number): string {
    const src = this.src;
    let p = amp + 1;
    if (src.charCodeAt(p) === CH_HASH) {
      p++;
      const hex = src.charCodeAt(p) === CH_X;
      if (hex) p++;
      const digitsStart = p;
      let cp = 0;
      for (; p < limit; p++) {
        const c = src.charCodeAt(p);
        let digit: number;
        if (c >= 48 && c <= 57) digit = c - 48;
        else if (hex && c >= 97 && c <= 102) digit = c - 87;
        else if (hex && c >= 65 && c <= 70) digit = c - 55;
        else break;
        cp = Math.min(cp * (hex ? 16 : 10) + digit, 0x110000);
      }
      if (p === digitsStart || p >= limit || src.charCodeAt(p) !== CH_SEMICOLON) {
        this.fail(amp, `malformed character reference ${src.slice(amp, Math.min(p + 1, limit))} (expected &#digits; or &#xhex;)`);
      }
      if (!isXmlChar(cp)) {
        this.fail(amp, `the character reference ${src.slice(amp, p + 1)} does not refer to a legal XML character`);
      }
      this.pos = p + 1;
      return String.fromCodePoint(cp);
    }
    const nameEnd = this.plainName(p, limit);
    if (nameEnd === p) {
      this.fail(amp, "'&' must start an entity or character reference (write &amp; for a literal '&')");
    }
    const name = src.slice(p, nameEnd);
    if (nameEnd >= limit || src.charCodeAt(nameEnd) !== CH_SEMICOLON) {
      this.fail(amp, `the entity reference &${name} is not terminated by ';'`);
    }
    const replacement = PREDEFINED_ENTITIES.get(name);
    if (replacement === undefined) {
      this.fail(amp, `undefined entity &${name}; (only &lt; &gt; &amp; &apos; &quot; and character references are allowed)`);
    }
    this.pos = nameEnd + 1;
    return replacement;
  }

  /** End of a Name (colons allowed) starting at `pos`, not beyond `limit`; `pos` if there is none. */
  private plainName(pos: number, limit: number): number {
    const src = this.src;
    let i = pos;
    while (i < limit) {
      const c = src.charCodeAt(i);
      if (c < 128) {
        if ((ASCII_NAME_CLASS[c]! & (i === pos ? NAME_START : NAME_CHAR)) === 0) break;
        i++;
      } else {
        const next = this.nonAsciiNameCharEnd(i, i === pos);
        if (next < 0) break;
        i = next;
      }
    }
    return i;
  }

  // ---- comments, PIs, CDATA -------------------------------------------------------

  /** Returns the offset past the comment starting at `start` (`<!--`). */
  private comment(start: number): number {
    const dashes = this.src.indexOf('--', start + 4);
    if (dashes < 0) this.fail(start, "the comment is not closed (missing '-->')");
    if (this.src.charCodeAt(dashes + 2) !== CH_GT) {
      this.fail(dashes, "'--' is not allowed inside a comment (and a comment may not end with '--->')");
    }
    return dashes + 3;
  }

  /** Returns the offset past the PI starting at `start` (`<?`); leaves its target in `piTarget`. */
  private processingInstruction(start: number): number {
    const src = this.src;
    const targetStart = start + 2;
    const targetEnd = this.qualifiedName(targetStart, "a processing instruction target after '<?'");
    const target = src.slice(targetStart, targetEnd);
    if (this.colon >= 0) this.fail(targetStart, `the processing instruction target ${target} must not contain a colon`, 'namespace');
    if (target.toLowerCase() === 'xml') {
      this.fail(
        start,
        target === 'xml'
          ? 'an XML declaration is only allowed at the very start of the document'
          : `the processing instruction target ${target} is reserved`,
      );
    }
    let end: number;
    if (src.startsWith('?>', targetEnd)) {
      end = targetEnd + 2;
    } else {
      if (!isWhitespace(src.charCodeAt(targetEnd))) {
        this.fail(targetEnd, `expected whitespace or '?>' after the processing instruction target ${target}`);
      }
      const close = src.indexOf('?>', targetEnd + 1);
      if (close < 0) this.fail(start, "the processing instruction is not closed (missing '?>')");
      end = close + 2;
    }
    this.piTarget = target;
    return end;
  }

  /** Parses the CDATA section at `start`; leaves the offset past `]]>` in `pos`. */
  private cdata(start: number): XmlCData {
    const src = this.src;
    const contentStart = start + 9;
    const close = src.indexOf(']]>', contentStart);
    if (close < 0) this.fail(start, "the CDATA section is not closed (missing ']]>')");
    let value = src.slice(contentStart, close);
    if (value.includes('\r')) value = value.replace(LINE_END, '\n');
    this.pos = close + 3;
    return { kind: 'cdata', value, start, end: close + 3 };
  }
}

/** Parses a complete XML document. Throws only {@link XmlSyntaxError}. */
export function parseXmlDocument(source: string, limits?: Partial<XmlParseLimits>): XmlDocument {
  return new Parser(source, limits, false).parseDocument();
}

/**
 * Parses an XML fragment that must be exactly one element (RFC 4825 element bodies),
 * optionally surrounded by whitespace, comments and PIs and preceded by an XML
 * declaration. Prefixes not declared in the fragment resolve through `inScope`
 * (prefix → URI, '' for the default namespace). Offsets index `source`.
 */
export function parseXmlFragment(
  source: string,
  inScope: ReadonlyMap<string, string>,
  limits?: Partial<XmlParseLimits>,
): XmlElement {
  return new Parser(source, limits, true).parseFragment(inScope);
}

/**
 * All prefix → URI bindings in scope at `element` (nearest declaration wins), with
 * `xml` always present and the default namespace ('') absent when undeclared. For the
 * root of a fragment, the bindings it was parsed in count as in scope.
 */
export function inScopeNamespaces(element: XmlElement): Map<string, string> {
  const bindings = new Map<string, string>();
  let top: XmlElement = element;
  for (let e: XmlElement | null = element; e !== null; e = e.parent) {
    for (const d of e.namespaceDeclarations) if (!bindings.has(d.prefix)) bindings.set(d.prefix, d.uri);
    top = e;
  }
  const context = fragmentContexts.get(top);
  if (context !== undefined) {
    for (const [prefix, uri] of context) if (!bindings.has(prefix)) bindings.set(prefix, uri);
  }
  bindings.set('xml', XML_NAMESPACE);
  if (bindings.get('') === '') bindings.delete('');
  return bindings;
}

/**
 * Validates and normalizes an attribute value given without its quotes (RFC 4825
 * §8.2.5, `not-xml-att-value`): no '<', only predefined entity and character
 * references, legal XML characters. Returns the value as an XML parser would report it.
 */
export function parseAttributeValue(raw: string): string {
  const parser = new Parser(raw, undefined, false);
  const lt = raw.indexOf('<');
  if (lt >= 0) parser.fail(lt, "'<' is not allowed in an attribute value (write &lt;)");
  return parser.decodeAttributeValue(0, raw.length);
}
