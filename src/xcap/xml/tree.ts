/**
 * The parsed form of an XML document: a light, namespace-resolved tree whose every
 * node remembers where it stands in the source text. Edits are made by splicing the
 * source text at those offsets, so everything outside the changed node stays exactly
 * as the client wrote it (prefixes, comments, whitespace, the XML declaration).
 *
 * Offsets are UTF-16 code unit indexes into the source string (JavaScript string
 * indexes), half-open: [start, end).
 */

/** The namespace URI for the `xml:` prefix, bound by definition (XML Namespaces §3). */
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
/** The namespace URI of `xmlns` attributes themselves. */
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  /** The name as written, e.g. `cp:name` or `uri`. */
  readonly qname: string;
  readonly prefix: string | null;
  readonly localName: string;
  /** Namespace URI; unprefixed attributes are in no namespace (null). */
  readonly namespace: string | null;
  /** The normalized value (entity and character references expanded, whitespace normalized per XML 1.0 §3.3.3). */
  readonly value: string;
  /** Offset of the first character of the attribute name. */
  readonly start: number;
  /** Offset just past the closing quote. */
  readonly end: number;
  /** Offset just past the opening quote. */
  readonly valueStart: number;
  /** Offset of the closing quote. */
  readonly valueEnd: number;
  /** The quote character used in the source. */
  readonly quote: '"' | "'";
}

export interface XmlNamespaceDeclaration {
  /** The declared prefix; '' for the default namespace (`xmlns="..."`). */
  readonly prefix: string;
  /** The namespace URI ('' undeclares the default namespace). */
  readonly uri: string;
  /** Offset of the `xmlns` attribute in the source. */
  readonly start: number;
  readonly end: number;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly qname: string;
  readonly prefix: string | null;
  readonly localName: string;
  /** Namespace URI of the element, null when it is in no namespace. */
  readonly namespace: string | null;
  /** Attributes other than namespace declarations, in source order. */
  readonly attributes: readonly XmlAttribute[];
  /** Namespace declarations made on this element (`xmlns`, `xmlns:p`), in source order. */
  readonly namespaceDeclarations: readonly XmlNamespaceDeclaration[];
  readonly children: readonly XmlNode[];
  readonly parent: XmlElement | null;
  /** Offset of the `<` of the start tag. */
  readonly start: number;
  /** Offset just past the `>` of the start tag (or of `/>` for an empty-element tag). */
  readonly startTagEnd: number;
  /** Offset of the `<` of the end tag; equal to `end` for an empty-element tag. */
  readonly endTagStart: number;
  /** Offset just past the `>` of the end tag (or of `/>`). */
  readonly end: number;
  /** True for `<a/>`, written as an empty-element tag. */
  readonly selfClosing: boolean;
}

export interface XmlText {
  readonly kind: 'text';
  /** Character data with references expanded and CDATA sections included. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

export interface XmlComment {
  readonly kind: 'comment';
  readonly start: number;
  readonly end: number;
}

export interface XmlProcessingInstruction {
  readonly kind: 'pi';
  readonly target: string;
  readonly start: number;
  readonly end: number;
}

/** A CDATA section is kept as its own node so that its source span is known. */
export interface XmlCData {
  readonly kind: 'cdata';
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

export type XmlNode = XmlElement | XmlText | XmlComment | XmlProcessingInstruction | XmlCData;

export interface XmlDocument {
  /** The source text the offsets refer to. */
  readonly source: string;
  readonly root: XmlElement;
  /** Offset of the XML declaration's end, 0 when there is none. */
  readonly declarationEnd: number;
  /** The `encoding` pseudo-attribute of the XML declaration, if any. */
  readonly declaredEncoding: string | null;
}

/** Limits that make hostile input cheap to refuse. */
export interface XmlParseLimits {
  /** Longest source accepted, in UTF-16 code units. */
  readonly maxLength: number;
  /** Deepest element nesting accepted. */
  readonly maxDepth: number;
  /** Most attributes on one element. */
  readonly maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlParseLimits = {
  maxLength: 16 * 1024 * 1024,
  maxDepth: 256,
  maxAttributes: 256,
};

/**
 * Why a text is not acceptable XML. The parser throws only this; the XCAP layer maps
 * it to `not-well-formed` (or `not-xml-frag` / a size error where it applies).
 */
export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    message: string,
    /** Offset in the source where the problem was found. */
    readonly offset: number,
    /** What kind of refusal this is: plain syntax, or a limit that was hit. */
    readonly reason: 'syntax' | 'namespace' | 'doctype' | 'too-large' | 'too-deep' = 'syntax',
  ) {
    super(message);
  }
}
