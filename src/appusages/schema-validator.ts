/**
 * XML schema validation of XCAP documents (RFC 4825 §5.3 `schema-validation-error`),
 * on libxml2 compiled to WebAssembly.
 *
 * Schemas live in `../schemas/` next to this module: `src/schemas` when running from
 * the TypeScript sources, `dist/schemas` once built. Their `xs:import`s name sibling
 * files by relative `schemaLocation`; libxml2 resolves those against the URL the
 * importing schema was parsed with, and reads them through the input provider below.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ParseOption,
  XmlDocument,
  XmlParseError,
  XmlValidateError,
  XsdValidator,
  xmlRegisterInputProvider,
} from 'libxml2-wasm';
import type { ErrorDetail, XmlInputProvider } from 'libxml2-wasm';

export interface SchemaValidationIssue {
  /** Human-readable, suitable for an xcap-error phrase, e.g. `line 4: Element '{ns}entry', attribute 'foo': The attribute 'foo' is not allowed.` */
  message: string;
  /**
   * 1-based line in the validated text, or null when libxml2 gives none it can vouch for
   * (no line at all, or an element past line 65534; the message then names the element's
   * position instead).
   */
  line: number | null;
}

const SCHEMA_DIRECTORY = fileURLToPath(new URL('../schemas/', import.meta.url));

/**
 * No entity substitution, no DTD loading, no network: our own parser has already
 * refused DTDs, and libxml2 must not reach outside the text it is given either.
 */
const PARSE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

/** libxml2's xmlErrorLevel for errors; level 1 is a warning. */
const LEVEL_ERROR = 2;

/**
 * libxml2 keeps an element's line in 16 bits, so validation errors on elements past
 * this line all claim to be on it.
 */
const SATURATED_LINE = 65535;

/**
 * Serves files of the schema directory, and nothing else, to libxml2 when a schema
 * imports another. libxml2's own file access would go to the wasm module's empty
 * in-memory file system.
 */
class SchemaDirectoryInputProvider implements XmlInputProvider {
  private readonly openFiles = new Map<number, { bytes: Buffer; offset: number }>();
  // 0 means "could not open" to libxml2, so handles start at 1.
  private nextHandle = 1;

  match(filename: string): boolean {
    return schemaPathOf(filename) !== null;
  }

  open(filename: string): number | undefined {
    const file = schemaPathOf(filename);
    if (file === null) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return undefined;
    }
    const handle = this.nextHandle++;
    this.openFiles.set(handle, { bytes, offset: 0 });
    return handle;
  }

  read(handle: number, buffer: Uint8Array): number {
    const file = this.openFiles.get(handle);
    if (file === undefined) return -1;
    const count = Math.min(buffer.byteLength, file.bytes.length - file.offset);
    buffer.set(file.bytes.subarray(file.offset, file.offset + count));
    file.offset += count;
    return count;
  }

  close(handle: number): boolean {
    return this.openFiles.delete(handle);
  }
}

/** The absolute path of a schema file named by a file: URL or path, or null if it is outside the schema directory. */
function schemaPathOf(filename: string): string | null {
  let file: string;
  try {
    file = filename.startsWith('file:') ? fileURLToPath(filename) : path.resolve(filename);
  } catch {
    return null;
  }
  const relative = path.relative(SCHEMA_DIRECTORY, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return null;
  return file.endsWith('.xsd') ? file : null;
}

// The provider is registered with libxml2 process-wide, once: libxml2 has room for only
// a handful of input callbacks.
let inputProviderRegistered = false;

function ensureInputProviderRegistered(): void {
  if (inputProviderRegistered) return;
  if (!xmlRegisterInputProvider(new SchemaDirectoryInputProvider())) {
    throw new Error('libxml2 refused the schema input provider (its input callback table is full)');
  }
  inputProviderRegistered = true;
}

function issueOf(detail: ErrorDetail): SchemaValidationIssue {
  const text = detail.message.trim();
  if (detail.line > 0 && detail.line < SATURATED_LINE) return { message: `line ${detail.line}: ${text}`, line: detail.line };
  // Without a trustworthy line, the element's position (e.g. /*/*[2]/*[70001]) still locates it.
  return { message: detail.xpath === undefined ? text : `at ${detail.xpath}: ${text}`, line: null };
}

function issuesOf(details: readonly ErrorDetail[], fallback: string): SchemaValidationIssue[] {
  const errors = details.filter((detail) => detail.level >= LEVEL_ERROR);
  const reported = errors.length > 0 ? errors : details;
  return reported.length > 0 ? reported.map(issueOf) : [{ message: fallback, line: null }];
}

const compiledSchemas = new Map<string, SchemaValidator>();

export class SchemaValidator {
  private disposed = false;

  private constructor(
    private readonly schemaFile: string,
    private readonly validator: XsdValidator,
    // Kept alive as long as the compiled schema: libxml2's schema structures may point into it.
    private readonly schemaDocument: XmlDocument,
  ) {}

  /**
   * The compiled schema of `schemaFile`, a path relative to the schema directory
   * (e.g. 'resource-lists.xsd'), together with everything it imports. Compiled once
   * and cached for the life of the process.
   */
  static load(schemaFile: string): SchemaValidator {
    const name = path.posix.normalize(schemaFile.replaceAll('\\', '/'));
    const cached = compiledSchemas.get(name);
    if (cached !== undefined) return cached;

    const file = path.join(SCHEMA_DIRECTORY, name);
    if (path.isAbsolute(name) || name.startsWith('..') || schemaPathOf(file) === null) {
      throw new Error(`Not a schema file of ${SCHEMA_DIRECTORY}: ${schemaFile}`);
    }
    ensureInputProviderRegistered();

    const document = XmlDocument.fromBuffer(readFileSync(file), {
      url: pathToFileURL(file).href,
      option: PARSE_OPTIONS,
    });
    let validator: XsdValidator;
    try {
      validator = XsdValidator.fromDoc(document);
    } catch (error) {
      document.dispose();
      const detail =
        error instanceof XmlValidateError
          ? issuesOf(error.details, error.message).map((issue) => issue.message).join('; ')
          : String(error);
      throw new Error(`Schema ${name} does not compile: ${detail}`);
    }
    const loaded = new SchemaValidator(name, validator, document);
    compiledSchemas.set(name, loaded);
    return loaded;
  }

  /** The reasons `documentText` is not valid against this schema; empty when it is valid. */
  validate(documentText: string): SchemaValidationIssue[] {
    if (this.disposed) throw new Error(`Schema ${this.schemaFile} has been disposed`);
    let document: XmlDocument;
    try {
      // The text is already decoded: whatever encoding its declaration names, it is UTF-8 now.
      document = XmlDocument.fromString(documentText, { option: PARSE_OPTIONS, encoding: 'utf-8' });
    } catch (error) {
      if (error instanceof XmlParseError) return issuesOf(error.details, 'The document is not well-formed');
      throw error;
    }
    try {
      this.validator.validate(document);
      return [];
    } catch (error) {
      if (error instanceof XmlValidateError) return issuesOf(error.details, 'The document is not valid');
      throw error;
    } finally {
      document.dispose();
    }
  }

  /** Frees the compiled schema; a later load() of the same file compiles it anew. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (compiledSchemas.get(this.schemaFile) === this) compiledSchemas.delete(this.schemaFile);
    this.validator.dispose();
    this.schemaDocument.dispose();
  }
}
