/**
 * A strict, non-validating, namespace-aware XML 1.0 (Fifth Edition) + Namespaces 1.0
 * parser that records exact source offsets for every node (see tree.ts).
 *
 * DTDs are refused outright, which also rules out external entities (XXE) and entity
 * expansion attacks; only the five predefined entities and character references exist.
 *
 * The scanner works on offsets (indexOf / charCodeAt) and slices the source only for
 * names and values; values are decoded only when they contain a reference or a
 * character that normalization changes.
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
const NO_CHILDREN = Object.freeze([]) as unknown as XmlNode[];

/** Code units that are not XML Chars, plus every surrogate (pairs are checked separately). */
const SUSPECT_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/g;

const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['apos', "'"],
  ['quot', '"'],
]);

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
const CH_AMP = 38;
const CH_SQUOTE = 39;
const CH_SLASH = 47;
const CH_COLON = 58;
const CH_SEMICOLON = 59;
const CH_LT = 60;
const CH_EQ = 61;
const CH_GT = 62;
const CH_QUESTION = 63;
const CH_RBRACKET = 93;
const CH_X = 120;

function isWhitespace(c: number): boolean {
  return c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR;
}

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

class Parser {
  private readonly src: string;
  private readonly len: number;
  private readonly maxDepth: number;
  private readonly maxAttributes: number;
  /** Set when parsing an element body: top-level errors then say "not a single element". */
  private readonly fragment: boolean;

  /** Namespace bindings in scope, innermost last; `nsTop` is the live length. */
  private nsPrefixes: string[] = ['xml'];
  private nsUris: string[] = [XML_NAMESPACE];
  private nsTop = 1;
  /** Binding-stack length to restore when the element at each depth closes. */
  private nsMarks: number[] = [];
  /** Offset just past the last construct parsed by a helper that returns a value. */
  private pos = 0;
  /** Offset of the colon in the last scanned name, or -1. */
  private colon = -1;
  /** Target of the last processing instruction parsed. */
  private piTarget = '';
  /** Names of the attributes of the start tag being parsed (reused between tags). */
  private readonly attributeNames: string[] = [];
  /** Attributes of the start tag being parsed, copied out exactly sized. */
  private readonly attributeScratch: MutableAttribute[] = [];
  /**
   * Children of all open elements, innermost last, copied out exactly sized when an
   * element closes (growing one array per element would allocate far more).
   */
  private readonly nodeStack: XmlNode[] = [];
  private nodeTop = 0;
  /** `nodeTop` when the element at each depth opened. */
  private readonly childBases: number[] = [];
  /** Recently seen names and whitespace runs, reused instead of slicing again. */
  private readonly nameCache: (string | undefined)[] = new Array(256).fill(undefined);
  private readonly whitespaceCache: (string | undefined)[] = new Array(64).fill(undefined);

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

  /** Fails for a top-level problem, worded for documents or for element bodies. */
  private failTopLevel(offset: number, documentMessage: string, fragmentMessage: string): never {
    this.fail(offset, this.fragment ? `not a single element: ${fragmentMessage}` : documentMessage);
  }

  private checkCharacters(): void {
    const src = this.src;
    SUSPECT_CHARACTER.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = SUSPECT_CHARACTER.exec(src)) !== null) {
      const i = match.index;
      const c = src.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = src.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          SUSPECT_CHARACTER.lastIndex = i + 2;
          continue;
        }
      }
      SUSPECT_CHARACTER.lastIndex = 0;
      const what = c >= 0xd800 && c <= 0xdfff ? `unpaired surrogate ${describeCodeUnit(c)}` : `character ${describeCodeUnit(c)}`;
      this.fail(i, `${what} is not allowed in XML`);
    }
  }

  // ---- top level ------------------------------------------------------------------

  parseDocument(): XmlDocument {
    let pos = this.src.charCodeAt(0) === 0xfeff ? 1 : 0;
    let declarationEnd = 0;
    let declaredEncoding: string | null = null;
    if (this.atXmlDeclaration(pos)) {
      declaredEncoding = this.xmlDeclaration(pos);
      declarationEnd = this.pos;
      pos = declarationEnd;
    }
    const rootStart = this.skipMisc(pos, null);
    if (rootStart >= this.len) this.failTopLevel(this.len, 'the document has no root element', 'no element found');
    const root = this.element(rootStart, null);
    const after = this.skipMisc(root.end, root);
    if (after < this.len) {
      this.failTopLevel(after, 'only one root element is allowed', 'more than one top-level element');
    }
    return { source: this.src, root, declarationEnd, declaredEncoding };
  }

  parseFragment(inScope: ReadonlyMap<string, string>): XmlElement {
    for (const [prefix, uri] of inScope) {
      if (prefix === 'xml' || prefix === 'xmlns') continue;
      this.nsPrefixes.push(prefix);
      this.nsUris.push(uri);
    }
    this.nsTop = this.nsPrefixes.length;
    // Parsed like a document; the XML declaration is allowed at the very start.
    const document = this.parseDocument();
    if (inScope.size > 0) fragmentContexts.set(document.root, inScope);
    return document.root;
  }

  private atXmlDeclaration(pos: number): boolean {
    if (!this.src.startsWith('<?xml', pos)) return false;
    return !this.isNameCharAt(pos + 5);
  }

  /** Parses `<?xml version=... encoding=... standalone=...?>`; returns the encoding. */
  private xmlDeclaration(start: number): string | null {
    const src = this.src;
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
   * the next element's '<' or the end of the input. `root` is set after the root.
   */
  private skipMisc(pos: number, root: XmlElement | null): number {
    const src = this.src;
    const len = this.len;
    for (;;) {
      while (pos < len && isWhitespace(src.charCodeAt(pos))) pos++;
      if (pos >= len) return pos;
      if (src.charCodeAt(pos) !== CH_LT) {
        this.failTopLevel(
          pos,
          `text is not allowed ${root === null ? 'before' : 'after'} the root element`,
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
  private element(start: number, parent: MutableElement | null): MutableElement {
    const src = this.src;
    const root = this.startTag(start, parent, 1);
    if (root.selfClosing) return root;
    this.childBases[1] = this.nodeTop;
    let current = root;
    let depth = 1;
    let pos = root.startTagEnd;
    for (;;) {
      const lt = src.indexOf('<', pos);
      if (lt < 0) {
        this.fail(
          this.len,
          `unexpected end of input: element <${current.qname}> started at ${describePosition(src, current.start)} is not closed`,
        );
      }
      if (lt !== pos) this.text(pos, lt);
      const next = src.charCodeAt(lt + 1);
      if (next === CH_SLASH) {
        pos = this.endTag(lt, current);
        current.endTagStart = lt;
        current.end = pos;
        const base = this.childBases[depth]!;
        if (this.nodeTop > base) {
          const kids: XmlNode[] = [];
          for (let k = base; k < this.nodeTop; k++) kids.push(this.nodeStack[k]!);
          current.children = kids;
          this.nodeTop = base;
        }
        this.nsTop = this.nsMarks[depth]!;
        depth--;
        if (depth === 0) return root;
        current = current.parent!;
      } else if (next === CH_BANG) {
        if (src.startsWith('<!--', lt)) {
          pos = this.comment(lt);
          const node: XmlComment = { kind: 'comment', start: lt, end: pos };
          this.nodeStack[this.nodeTop++] = node;
        } else if (src.startsWith('<![CDATA[', lt)) {
          pos = this.cdata(lt);
        } else if (src.startsWith('<!DOCTYPE', lt)) {
          this.refuseDoctype(lt);
        } else {
          this.fail(lt, "unexpected '<!': expected a comment or a CDATA section");
        }
      } else if (next === CH_QUESTION) {
        pos = this.processingInstruction(lt);
        const node: XmlProcessingInstruction = { kind: 'pi', target: this.piTarget, start: lt, end: pos };
        this.nodeStack[this.nodeTop++] = node;
      } else {
        const child = this.startTag(lt, current, depth + 1);
        this.nodeStack[this.nodeTop++] = child;
        pos = child.startTagEnd;
        if (!child.selfClosing) {
          current = child;
          depth++;
          this.childBases[depth] = this.nodeTop;
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
    const nameStart = start + 1;
    const nameEnd = this.qualifiedName(nameStart, "an element name after '<'");
    const nameColon = this.colon;
    const qname = this.intern(nameStart, nameEnd);
    const nsMark = this.nsTop;
    this.nsMarks[depth] = nsMark;

    const attributes = this.attributeScratch;
    let declarations: XmlNamespaceDeclaration[] | null = null;
    let hasPrefixedAttribute = false;
    let count = 0;
    let attributeCount = 0;
    let seen: Set<string> | null = null;
    const names = this.attributeNames;
    let p = nameEnd;
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
      if (q === p) {
        this.fail(q, `expected whitespace, '>' or '/>' in the start tag <${qname}>`);
      }

      // An attribute: Name Eq AttValue.
      const attrStart = q;
      const attrNameEnd = this.qualifiedName(q, `an attribute name, '>' or '/>' in the start tag <${qname}>`);
      const attrColon = this.colon;
      const attrName = this.intern(attrStart, attrNameEnd);
      if (++count > this.maxAttributes) {
        this.fail(attrStart, `the element <${qname}> has more than ${this.maxAttributes} attributes`, 'too-large');
      }
      q = attrNameEnd;
      c = src.charCodeAt(q);
      while (c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR) c = src.charCodeAt(++q);
      if (c !== CH_EQ) this.fail(q, `expected '=' after the attribute name ${attrName}`);
      c = src.charCodeAt(++q);
      while (c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR) c = src.charCodeAt(++q);
      if (c !== CH_DQUOTE && c !== CH_SQUOTE) this.fail(q, `the value of the attribute ${attrName} must be in quotes`);
      const valueStart = q + 1;
      const valueEnd = src.indexOf(c === CH_DQUOTE ? '"' : "'", valueStart);
      if (valueEnd < 0) this.fail(q, `the value of the attribute ${attrName} is not closed`);
      let needsDecoding = false;
      for (let i = valueStart; i < valueEnd; i++) {
        const v = src.charCodeAt(i);
        if (v <= CH_LT) {
          if (v === CH_LT) this.fail(i, `'<' is not allowed in the value of the attribute ${attrName} (write &lt;)`);
          if (v === CH_AMP || v === CH_TAB || v === CH_LF || v === CH_CR) needsDecoding = true;
        }
      }
      const value = needsDecoding ? this.decodeAttributeValue(valueStart, valueEnd) : src.slice(valueStart, valueEnd);
      p = valueEnd + 1;

      // Quadratic for the usual handful of attributes, a set beyond that.
      if (count <= 16) {
        for (let k = 0; k < count - 1; k++) if (names[k] === attrName) this.duplicateAttribute(attrStart, attrName, qname);
        names[count - 1] = attrName;
      } else {
        seen ??= new Set(names.slice(0, 16));
        if (seen.has(attrName)) this.duplicateAttribute(attrStart, attrName, qname);
        seen.add(attrName);
      }

      const prefix = attrColon < 0 ? null : this.intern(attrStart, attrColon);
      if (attrColon < 0 ? attrName === 'xmlns' : prefix === 'xmlns') {
        const declared = attrColon < 0 ? '' : src.slice(attrColon + 1, attrNameEnd);
        this.declareNamespace(declared, value, attrStart);
        (declarations ??= []).push({ prefix: declared, uri: value, start: attrStart, end: p });
      } else {
        if (prefix !== null) hasPrefixedAttribute = true;
        const attribute: MutableAttribute = {
          qname: attrName,
          prefix,
          localName: attrColon < 0 ? attrName : this.intern(attrColon + 1, attrNameEnd),
          namespace: null,
          value,
          start: attrStart,
          end: p,
          valueStart,
          valueEnd,
          quote: c === CH_DQUOTE ? '"' : "'",
        };
        attributes[attributeCount++] = attribute;
      }
    }

    let prefix: string | null = null;
    let localName = qname;
    let namespace: string | null;
    if (nameColon < 0) {
      const uri = this.lookupNamespace('');
      namespace = uri === undefined || uri === '' ? null : uri;
    } else {
      prefix = this.intern(nameStart, nameColon);
      localName = this.intern(nameColon + 1, nameEnd);
      if (prefix === 'xmlns') this.fail(nameStart, `element names must not have the prefix xmlns (<${qname}>)`, 'namespace');
      const uri = this.lookupNamespace(prefix);
      if (uri === undefined) this.fail(nameStart, `the prefix ${prefix} of the element <${qname}> is not bound to a namespace`, 'namespace');
      namespace = uri;
    }
    if (hasPrefixedAttribute) this.resolveAttributePrefixes(attributes, attributeCount, qname);
    if (selfClosing) this.nsTop = nsMark;

    return {
      kind: 'element',
      qname,
      prefix,
      localName,
      namespace,
      attributes: attributeCount === 0 ? NO_ATTRIBUTES : attributes.slice(0, attributeCount),
      namespaceDeclarations: declarations ?? NO_DECLARATIONS,
      children: NO_CHILDREN,
      parent,
      start,
      startTagEnd: tagEnd,
      endTagStart: selfClosing ? tagEnd : -1,
      end: selfClosing ? tagEnd : -1,
      selfClosing,
    };
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
    const top = this.nsTop++;
    this.nsPrefixes[top] = prefix;
    this.nsUris[top] = uri;
  }

  private lookupNamespace(prefix: string): string | undefined {
    const prefixes = this.nsPrefixes;
    for (let i = this.nsTop - 1; i >= 0; i--) if (prefixes[i] === prefix) return this.nsUris[i];
    return undefined;
  }

  private resolveAttributePrefixes(attributes: MutableAttribute[], count: number, element: string): void {
    for (let i = 0; i < count; i++) {
      const a = attributes[i]!;
      if (a.prefix === null) continue;
      const uri = this.lookupNamespace(a.prefix);
      if (uri === undefined) {
        this.fail(a.start, `the prefix ${a.prefix} of the attribute ${a.qname} is not bound to a namespace`, 'namespace');
      }
      a.namespace = uri;
      for (let j = 0; j < i; j++) {
        const b = attributes[j]!;
        if (b.namespace === uri && b.localName === a.localName) {
          this.fail(
            a.start,
            `the attributes ${b.qname} and ${a.qname} of <${element}> have the same expanded name {${uri}}${a.localName}`,
            'namespace',
          );
        }
      }
    }
  }

  /** Parses `</name S? >` closing `open`; returns the offset past the '>'. */
  private endTag(lt: number, open: MutableElement): number {
    const src = this.src;
    const nameStart = lt + 2;
    const expected = open.qname;
    let p = nameStart + expected.length;
    if (src.startsWith(expected, nameStart) && !this.isNameCharAt(p)) {
      let c = src.charCodeAt(p);
      if (c === CH_GT) return p + 1;
      while (isWhitespace(c)) c = src.charCodeAt(++p);
      if (c === CH_GT) return p + 1;
      this.fail(p, `expected '>' to close the end tag </${expected}>`);
    }
    const c = src.charCodeAt(nameStart);
    const startsName = c < 128 ? (ASCII_NAME_CLASS[c]! & NAME_START) !== 0 : this.nonAsciiNameCharEnd(nameStart, true) > 0;
    if (!startsName) this.fail(nameStart, "expected an element name after '</'");
    let end = nameStart;
    while (end < this.len && this.isNameCharAt(end)) end += this.nameCharWidth(end);
    this.fail(
      lt,
      `end tag </${src.slice(nameStart, end)}> does not match start tag <${expected}> at ${describePosition(src, open.start)}`,
    );
  }

  // ---- names ----------------------------------------------------------------------

  /**
   * Scans a Name at `pos` that must also be a QName (NCName, or NCName:NCName);
   * returns its end and leaves the colon's offset (or -1) in `this.colon`.
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
      const afterColon = src.charCodeAt(colon + 1);
      const localStarts =
        afterColon < 128 ? (ASCII_NAME_CLASS[afterColon]! & NAME_START) !== 0 : this.nonAsciiNameCharEnd(colon + 1, true) > 0;
      if (!localStarts) this.fail(colon + 1, `the local part of the name ${name} does not start with a name start character`, 'namespace');
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

  private text(start: number, end: number): void {
    const src = this.src;
    let needsDecoding = false;
    let whitespaceOnly = true;
    for (let i = start; i < end; i++) {
      const c = src.charCodeAt(i);
      if (c <= CH_GT) {
        if (c === CH_SPACE || c === CH_LF || c === CH_TAB) continue;
        whitespaceOnly = false;
        if (c === CH_AMP || c === CH_CR) needsDecoding = true;
        else if (c === CH_GT && i - 2 >= start && src.charCodeAt(i - 1) === CH_RBRACKET && src.charCodeAt(i - 2) === CH_RBRACKET) {
          this.fail(i - 2, "']]>' is not allowed in text (write ]]&gt;)");
        }
      } else {
        whitespaceOnly = false;
      }
    }
    const value = needsDecoding
      ? this.decodeText(start, end)
      : whitespaceOnly
        ? this.internWhitespace(start, end)
        : src.slice(start, end);
    const node: XmlText = { kind: 'text', value, start, end };
    this.nodeStack[this.nodeTop++] = node;
  }

  /** `src.slice(start, end)` for a name, reusing the string when the name was seen recently. */
  private intern(start: number, end: number): string {
    const src = this.src;
    const length = end - start;
    const slot = (length * 31 + src.charCodeAt(start) + src.charCodeAt(end - 1) * 7) & 255;
    const cached = this.nameCache[slot];
    if (cached !== undefined && cached.length === length && src.startsWith(cached, start)) return cached;
    const name = src.slice(start, end);
    this.nameCache[slot] = name;
    return name;
  }

  /** Like {@link intern}, for indentation (a few distinct runs repeated throughout). */
  private internWhitespace(start: number, end: number): string {
    const src = this.src;
    const length = end - start;
    if (length > 256) return src.slice(start, end);
    const slot = (length * 3 + src.charCodeAt(start) + src.charCodeAt(end - 1)) & 63;
    const cached = this.whitespaceCache[slot];
    if (cached !== undefined && cached.length === length && src.startsWith(cached, start)) return cached;
    const run = src.slice(start, end);
    this.whitespaceCache[slot] = run;
    return run;
  }

  /** Text with references expanded and line ends normalized to LF. */
  private decodeText(start: number, end: number): string {
    const src = this.src;
    let out = '';
    let chunk = start;
    let i = start;
    while (i < end) {
      const c = src.charCodeAt(i);
      if (c === CH_AMP) {
        out += src.slice(chunk, i);
        out += this.reference(i, end);
        i = chunk = this.pos;
      } else if (c === CH_CR) {
        out += src.slice(chunk, i);
        out += '\n';
        i++;
        if (i < end && src.charCodeAt(i) === CH_LF) i++;
        chunk = i;
      } else {
        i++;
      }
    }
    return out + src.slice(chunk, end);
  }

  /** An attribute value normalized per XML 1.0 §3.3.3 (CDATA type: no trimming). */
  decodeAttributeValue(start: number, end: number): string {
    const src = this.src;
    let out = '';
    let chunk = start;
    let i = start;
    while (i < end) {
      const c = src.charCodeAt(i);
      if (c === CH_AMP) {
        out += src.slice(chunk, i);
        out += this.reference(i, end);
        i = chunk = this.pos;
      } else if (c === CH_CR || c === CH_LF || c === CH_TAB) {
        out += src.slice(chunk, i);
        out += ' ';
        i++;
        if (c === CH_CR && i < end && src.charCodeAt(i) === CH_LF) i++;
        chunk = i;
      } else {
        if (c === CH_LT) this.fail(i, "'<' is not allowed in an attribute value (write &lt;)");
        i++;
      }
    }
    return out + src.slice(chunk, end);
  }

  /** Expands the reference whose '&' is at `amp` (ending before `limit`); sets `this.pos` past the ';'. */
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
      this.fail(
        amp,
        `undefined entity &${name}; (only &lt; &gt; &amp; &apos; &quot; and character references are allowed)`,
      );
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
    if (this.colon >= 0) {
      this.fail(targetStart, `the processing instruction target ${src.slice(targetStart, targetEnd)} must not contain a colon`, 'namespace');
    }
    const target = src.slice(targetStart, targetEnd);
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

  /** Parses the CDATA section at `start` into `parent`; returns the offset past `]]>`. */
  private cdata(start: number): number {
    const src = this.src;
    const contentStart = start + 9;
    const close = src.indexOf(']]>', contentStart);
    if (close < 0) this.fail(start, "the CDATA section is not closed (missing ']]>')");
    let value = src.slice(contentStart, close);
    if (value.includes('\r')) value = value.replace(/\r\n?/g, '\n');
    const node: XmlCData = { kind: 'cdata', value, start, end: close + 3 };
    this.nodeStack[this.nodeTop++] = node;
    return close + 3;
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
  return parser.decodeAttributeValue(0, raw.length);
}
