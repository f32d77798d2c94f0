/**
 * Moving everything a storage holds to another one (SQLite ⇄ PostgreSQL) and
 * backups: a portable JSON-lines file, written and read one record at a time so
 * neither side holds the whole database in memory.
 *
 *   {"format":"xcapd-export","version":1,"createdAt":"…","source":"sqlite:…"}
 *   {"type":"user","id":"alice@example.com","realm":"example.com","ha1Md5":"…","ha1Sha256":"…","admin":false,"createdAt":…}
 *   {"type":"document","auid":"resource-lists","tree":"users","owner":"sip:alice@example.com","path":"index","etag":"…","updatedAt":…,"content":"…"}
 *   {"type":"end","users":1,"documents":1}
 *
 * Entity tags and times are kept, so clients holding an ETag from before the move
 * still get 304 and their If-Match still holds. The closing line tells a complete
 * file from a cut-off one.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ClaimConflictError } from './types.js';
import type { DocumentKey, Storage, StoredDocument, Tree, UniqueClaim, UserRecord } from './types.js';

export const EXPORT_FORMAT = 'xcapd-export';
export const EXPORT_VERSION = 1;
const PAGE_SIZE = 100;

export interface TransferCounts {
  readonly users: number;
  readonly documents: number;
}

export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    message: string,
    /** 1-based line of the file, when the problem is one record. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

async function* allUsers(storage: Storage): AsyncGenerator<UserRecord> {
  if (!storage.scanUsers) {
    yield* await storage.listUsers();
    return;
  }
  let after: string | undefined;
  for (;;) {
    const page = await storage.scanUsers(after === undefined ? { limit: PAGE_SIZE } : { after, limit: PAGE_SIZE });
    yield* page;
    if (page.length < PAGE_SIZE) return;
    after = page.at(-1)?.id;
  }
}

async function* allDocuments(storage: Storage): AsyncGenerator<StoredDocument> {
  if (!storage.scanDocuments) {
    for (const summary of await storage.listDocuments({})) {
      const document = await storage.getDocument(summary.key);
      if (document) yield document;
    }
    return;
  }
  let after: DocumentKey | undefined;
  for (;;) {
    const page = await storage.scanDocuments(after === undefined ? { limit: PAGE_SIZE } : { after, limit: PAGE_SIZE });
    yield* page;
    if (page.length < PAGE_SIZE) return;
    after = page.at(-1)?.key;
  }
}

async function writeLine(out: Writable, record: unknown): Promise<void> {
  if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
}

/**
 * Writes every user and document of `storage` to `out` (which it does not end).
 * A storage that keeps changing meanwhile is exported document by document, each
 * one consistent; stop writers for a snapshot of the whole.
 */
export async function exportStorage(storage: Storage, out: Writable): Promise<TransferCounts> {
  await writeLine(out, { format: EXPORT_FORMAT, version: EXPORT_VERSION, createdAt: new Date().toISOString(), source: storage.description });
  let users = 0;
  for await (const user of allUsers(storage)) {
    await writeLine(out, {
      type: 'user',
      id: user.id,
      realm: user.realm,
      ha1Md5: user.ha1Md5,
      ha1Sha256: user.ha1Sha256,
      admin: user.admin,
      createdAt: user.createdAt,
    });
    users += 1;
  }
  let documents = 0;
  for await (const document of allDocuments(storage)) {
    const { key } = document;
    await writeLine(out, {
      type: 'document',
      auid: key.auid,
      tree: key.tree,
      owner: key.owner,
      path: key.path,
      etag: document.etag,
      updatedAt: document.updatedAt,
      content: document.content,
    });
    documents += 1;
  }
  await writeLine(out, { type: 'end', users, documents });
  return { users, documents };
}

export interface ImportOptions {
  /** Overwrite users and documents that exist already; without it the target must be empty. */
  readonly replace?: boolean;
  /** The server-wide unique values a document claims (from its application usage). */
  readonly claimsFor: (document: StoredDocument) => readonly UniqueClaim[];
}

type Fields = Record<string, unknown>;

function field<T>(record: Fields, name: string, check: (value: unknown) => value is T, line: number, what: string): T {
  const value = record[name];
  if (!check(value)) throw new ImportError(`${name} must be ${what}`, line);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isTree = (value: unknown): value is Tree => value === 'users' || value === 'global';

function userFrom(record: Fields, line: number): UserRecord {
  return {
    id: field(record, 'id', isString, line, 'a string'),
    realm: field(record, 'realm', isString, line, 'a string'),
    ha1Md5: field(record, 'ha1Md5', isString, line, 'a string'),
    ha1Sha256: field(record, 'ha1Sha256', isString, line, 'a string'),
    admin: field(record, 'admin', isBoolean, line, 'true or false'),
    createdAt: field(record, 'createdAt', isTime, line, 'milliseconds since 1970'),
  };
}

function documentFrom(record: Fields, line: number): StoredDocument {
  return {
    key: {
      auid: field(record, 'auid', isString, line, 'a string'),
      tree: field(record, 'tree', isTree, line, '"users" or "global"'),
      owner: field(record, 'owner', isString, line, 'a string'),
      path: field(record, 'path', isString, line, 'a string'),
    },
    etag: field(record, 'etag', (v): v is string => isString(v) && v !== '', line, 'a non-empty string'),
    updatedAt: field(record, 'updatedAt', isTime, line, 'milliseconds since 1970'),
    content: field(record, 'content', isString, line, 'a string'),
  };
}

async function isEmpty(storage: Storage): Promise<boolean> {
  const users = storage.scanUsers ? await storage.scanUsers({ limit: 1 }) : await storage.listUsers();
  const documents = storage.scanDocuments ? await storage.scanDocuments({ limit: 1 }) : await storage.listDocuments({});
  return users.length === 0 && documents.length === 0;
}

/** Reads a file written by `exportStorage` into `storage`, record by record. */
export async function importStorage(storage: Storage, input: Readable, options: ImportOptions): Promise<TransferCounts> {
  const restore = storage.restoreDocument?.bind(storage);
  if (!restore) throw new ImportError(`${storage.description} cannot restore documents`);
  if (!options.replace && !(await isEmpty(storage))) {
    throw new ImportError(`${storage.description} is not empty; import into an empty database, or pass --replace to overwrite what the file holds`);
  }
  let lineNumber = 0;
  let users = 0;
  let documents = 0;
  let ended = false;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    if (ended) throw new ImportError('nothing may follow the "end" line', lineNumber);
    let record: Fields;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      record = parsed as Fields;
    } catch (error) {
      throw new ImportError(`not a JSON object (${(error as Error).message})`, lineNumber);
    }
    if (lineNumber === 1) {
      if (record.format !== EXPORT_FORMAT) throw new ImportError(`not an xcapd export (the first line must name format "${EXPORT_FORMAT}")`, 1);
      if (typeof record.version !== 'number' || record.version > EXPORT_VERSION) {
        throw new ImportError(`export format version ${String(record.version)} is newer than this xcapd reads (${EXPORT_VERSION})`, 1);
      }
      continue;
    }
    switch (record.type) {
      case 'user':
        await storage.putUser(userFrom(record, lineNumber));
        users += 1;
        break;
      case 'document': {
        const document = documentFrom(record, lineNumber);
        try {
          await restore(document, options.claimsFor(document));
        } catch (error) {
          if (error instanceof ClaimConflictError) {
            const holder = error.holder;
            throw new ImportError(
              `${error.claim.scope} ${error.claim.value} is already held by ${holder.auid}/${holder.tree}/${holder.owner || '-'}/${holder.path}`,
              lineNumber,
            );
          }
          throw new ImportError(`${document.key.auid} ${document.key.owner || 'global'} ${document.key.path}: ${(error as Error).message}`, lineNumber);
        }
        documents += 1;
        break;
      }
      case 'end':
        if (record.users !== users || record.documents !== documents) {
          throw new ImportError(`the file announces ${String(record.users)} users and ${String(record.documents)} documents but holds ${users} and ${documents}`, lineNumber);
        }
        ended = true;
        break;
      default:
        throw new ImportError(`unknown record type ${JSON.stringify(record.type)}`, lineNumber);
    }
  }
  if (lineNumber === 0) throw new ImportError('the file is empty');
  if (!ended) throw new ImportError(`the file ends without its "end" line: it was cut off (${users} users and ${documents} documents were imported)`);
  return { users, documents };
}
