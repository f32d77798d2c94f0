/**
 * Users from the SIP server's own table: Kamailio's or OpenSIPS's `subscriber`, in
 * PostgreSQL or MySQL/MariaDB, read-only, so xcapd needs no user list of its own.
 *
 * Kamailio's table has `username, domain, password, ha1, ha1b`; OpenSIPS 3 has
 * `username, domain, password, ha1, ha1_sha256, ha1_sha512t256`. Which of the
 * configured columns the table really has is looked up once at start; a missing
 * optional column is simply not used. Per user, whatever the row holds is used:
 * a clear-text password (either backend can keep one) serves every Digest hash
 * and Basic; otherwise `ha1` (MD5, or SHA-256 when it holds 64 hex digits),
 * `ha1b` (for Digest usernames written user@domain) and `ha1_sha256`.
 */
import mysql from 'mysql2/promise';
import postgres from 'postgres';
import type { DigestHashName } from './digest-hash.js';
import { domainPart, normalizeUserId, userPart } from './user-id.js';
import type { DirectoryUser, UserDirectory } from './user-directory.js';
import type { ServerConfig } from '../config.js';
import { describePostgresUrl, isPostgresUrl } from '../storage/postgres.js';

/** The roles a subscriber column can play. */
export interface SubscriberColumns {
  readonly username: string;
  /** '' when the table has no domain (a single-domain server, Kamailio's use_domain=0). */
  readonly domain: string;
  readonly ha1: string;
  readonly ha1b: string;
  readonly ha1Sha256: string;
  /** The clear-text password column; '' when passwords are kept only as hashes. */
  readonly password: string;
}

export const DEFAULT_SUBSCRIBER_COLUMNS: SubscriberColumns = {
  username: 'username',
  domain: 'domain',
  ha1: 'ha1',
  ha1b: 'ha1b',
  ha1Sha256: 'ha1_sha256',
  password: 'password',
};

export interface SubscriberDirectoryOptions {
  /** `postgres://…`, `postgresql://…`, `mysql://…` or `mariadb://…`. */
  readonly url: string;
  /** Default `subscriber`; `schema.table` is accepted. */
  readonly table?: string;
  readonly columns?: Partial<SubscriberColumns>;
  /** The realm the table's HA1 values were made for; default: each user's domain (what kamctl and opensips-cli do). */
  readonly realm?: string;
  /** User ids (alice@example.com) that are xcapd administrators. */
  readonly admins?: readonly string[];
  /** Most connections; default 4. */
  readonly poolSize?: number;
}

export class SubscriberDirectoryError extends Error {
  override readonly name = 'SubscriberDirectoryError';
}

type Role = keyof SubscriberColumns;
const ROLES: readonly Role[] = ['username', 'domain', 'ha1', 'ha1b', 'ha1Sha256', 'password'];
const MD5_HEX = /^[0-9a-f]{32}$/i;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** The database side: one query shape, two drivers. */
interface SubscriberQueries {
  readonly description: string;
  columnsOf(table: string): Promise<Set<string> | null>;
  /** The row's values by column name, or null. */
  findRow(table: string, columns: readonly string[], where: readonly [column: string, value: string][]): Promise<Record<string, unknown> | null>;
  close(): Promise<void>;
}

/**
 * `userColumns` as operators write it: `role=column` pairs (`ha1b=`, empty, for a
 * column the table lacks), applied over the defaults.
 */
export function parseSubscriberColumns(entries: readonly string[]): Partial<SubscriberColumns> {
  const columns: Partial<Record<Role, string>> = {};
  for (const entry of entries) {
    const match = /^\s*([A-Za-z0-9_]+)\s*=\s*([A-Za-z0-9_$.]*)\s*$/.exec(entry);
    const role = ROLES.find((r) => r.toLowerCase() === match?.[1]?.toLowerCase());
    if (!match || role === undefined) {
      throw new SubscriberDirectoryError(
        `userColumns entry ${JSON.stringify(entry)} must be role=column with role one of ${ROLES.join(', ')}`,
      );
    }
    columns[role] = match[2] ?? '';
  }
  return columns;
}

function splitTable(table: string): { schema: string | null; name: string } {
  const dot = table.lastIndexOf('.');
  return dot < 0 ? { schema: null, name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

function postgresQueries(url: string, poolSize: number): SubscriberQueries {
  const sql = postgres(url, { max: poolSize, onnotice: () => undefined, fetch_types: false, idle_timeout: 60, connect_timeout: 10, connection: { application_name: 'xcapd-users' } });
  return {
    description: describePostgresUrl(url),
    async columnsOf(table) {
      const { schema, name } = splitTable(table);
      const rows = await sql<{ name: string }[]>`
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_name = ${name} AND table_schema = COALESCE(${schema}, current_schema())`;
      return rows.length === 0 ? null : new Set(rows.map((row) => row.name));
    },
    async findRow(table, columns, where) {
      const conditions = where.map(([column, value]) => sql`${sql(column)} = ${value}`);
      const [row] = await sql`
        SELECT ${sql(columns as string[])} FROM ${sql(table)}
        WHERE ${conditions.reduce((all, condition) => sql`${all} AND ${condition}`)} LIMIT 1`;
      return row ?? null;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

function mysqlQueries(url: string, poolSize: number): SubscriberQueries {
  const parsed = new URL(url.replace(/^mariadb:/i, 'mysql:'));
  const pool = mysql.createPool({ uri: parsed.toString(), connectionLimit: poolSize, connectTimeout: 10_000, charset: 'utf8mb4' });
  parsed.password = '';
  parsed.search = '';
  return {
    description: parsed.toString().replace(/:@/, '@'),
    async columnsOf(table) {
      const { schema, name } = splitTable(table);
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_NAME = ? AND TABLE_SCHEMA = COALESCE(?, DATABASE())',
        [name, schema],
      );
      return rows.length === 0 ? null : new Set(rows.map((row) => String(row.name)));
    },
    async findRow(table, columns, where) {
      const text =
        `SELECT ${columns.map((c) => mysql.escapeId(c)).join(', ')} FROM ${mysql.escapeId(table)} ` +
        `WHERE ${where.map(([column]) => `${mysql.escapeId(column)} = ?`).join(' AND ')} LIMIT 1`;
      const [rows] = await pool.execute<mysql.RowDataPacket[]>(text, where.map(([, value]) => value));
      return rows[0] ?? null;
    },
    close: () => pool.end(),
  };
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (Buffer.isBuffer(value)) return value.length === 0 ? null : value.toString('utf8');
  return null;
}

export class SubscriberDirectory implements UserDirectory {
  readonly description: string;
  readonly digestHashes: readonly DigestHashName[];
  private readonly admins: ReadonlySet<string>;
  private readonly selected: readonly string[];

  /** Use `openSubscriberDirectory`. */
  constructor(
    private readonly queries: SubscriberQueries,
    private readonly table: string,
    /** Only the roles whose column the table has. */
    readonly columns: Partial<SubscriberColumns>,
    private readonly realm: string | null,
    admins: readonly string[],
  ) {
    this.description = `${table} table in ${queries.description}`;
    this.admins = new Set(admins.map((id) => id.toLowerCase()));
    this.selected = [...new Set(Object.values(columns).filter((c): c is string => c !== undefined && c !== ''))];
    // A clear password or a SHA-256 column serves SHA-256; so may an ha1 column
    // holding SHA-256 digests, but that can only be seen per row, so it is not offered.
    this.digestHashes = columns.password || columns.ha1Sha256 ? ['MD5', 'SHA-256'] : ['MD5'];
  }

  async getUser(id: string): Promise<DirectoryUser | null> {
    const username = userPart(id);
    const domain = domainPart(id);
    // A subscriber is user@domain; tel: identities are not SIP accounts.
    if (domain === null) return null;
    const { columns } = this;
    const where: [string, string][] = [[columns.username as string, username]];
    if (columns.domain) where.push([columns.domain, domain]);
    const row = await this.queries.findRow(this.table, this.selected, where);
    if (row === null) return null;
    const value = (role: Role) => {
      const column = columns[role];
      return column ? text(row[column]) : null;
    };
    const ha1 = value('ha1');
    const ha1Sha256 = value('ha1Sha256');
    const ha1b = value('ha1b');
    return {
      id,
      realm: this.realm || domain,
      ha1Md5: ha1 !== null && MD5_HEX.test(ha1) ? ha1.toLowerCase() : null,
      ha1Sha256:
        ha1Sha256 !== null && SHA256_HEX.test(ha1Sha256)
          ? ha1Sha256.toLowerCase()
          : ha1 !== null && SHA256_HEX.test(ha1)
            ? ha1.toLowerCase()
            : null,
      ha1bMd5: ha1b !== null && MD5_HEX.test(ha1b) ? ha1b.toLowerCase() : null,
      clearPassword: value('password'),
      admin: this.admins.has(id.toLowerCase()),
    };
  }

  close(): Promise<void> {
    return this.queries.close();
  }
}

export function isMysqlUrl(url: string): boolean {
  return /^(mysql|mariadb):\/\//i.test(url.trim());
}

/** Connects, finds which of the configured columns the table has, and checks it can authenticate anyone. */
export async function openSubscriberDirectory(options: SubscriberDirectoryOptions): Promise<SubscriberDirectory> {
  const url = options.url.trim();
  const poolSize = options.poolSize ?? 4;
  let queries: SubscriberQueries;
  if (isPostgresUrl(url)) queries = postgresQueries(url, poolSize);
  else if (isMysqlUrl(url)) queries = mysqlQueries(url, poolSize);
  else throw new SubscriberDirectoryError(`userDatabase must be a postgres:// or mysql:// URL, not ${JSON.stringify(url.replace(/:[^@/:]*@/, ':***@'))}`);
  const table = options.table || 'subscriber';
  try {
    const existing = await queries.columnsOf(table);
    if (existing === null) throw new SubscriberDirectoryError(`${queries.description} has no table ${table}`);
    const wanted = { ...DEFAULT_SUBSCRIBER_COLUMNS, ...options.columns };
    const present: Partial<Record<Role, string>> = {};
    for (const role of ROLES) {
      const column = wanted[role];
      if (column && existing.has(column)) present[role] = column;
    }
    if (!present.username) {
      throw new SubscriberDirectoryError(`${table} in ${queries.description} has no user name column ${JSON.stringify(wanted.username)}`);
    }
    if (!present.ha1 && !present.ha1b && !present.ha1Sha256 && !present.password) {
      throw new SubscriberDirectoryError(`${table} in ${queries.description} has none of the password columns (${[wanted.password, wanted.ha1, wanted.ha1b, wanted.ha1Sha256].filter(Boolean).join(', ')})`);
    }
    return new SubscriberDirectory(queries, table, present, options.realm || null, options.admins ?? []);
  } catch (error) {
    await queries.close().catch(() => undefined);
    if (error instanceof SubscriberDirectoryError) throw error;
    throw new SubscriberDirectoryError(`cannot read the user table ${table} in ${queries.description}: ${(error as Error).message}`, { cause: error });
  }
}

/** The directory the `user*` settings describe. */
export function subscriberOptionsFromConfig(
  config: Pick<ServerConfig, 'userDatabase' | 'userTable' | 'userColumns' | 'userPasswordColumn' | 'userAdmins' | 'realm'>,
): SubscriberDirectoryOptions {
  const password = config.userPasswordColumn.trim();
  return {
    url: config.userDatabase,
    table: config.userTable || 'subscriber',
    columns: { ...parseSubscriberColumns(config.userColumns), password: password.toLowerCase() === 'none' ? '' : password },
    ...(config.realm ? { realm: config.realm } : {}),
    admins: config.userAdmins.map((id) => normalizeUserId(id)),
  };
}
