/**
 * The server's settings. Each has a command-line flag, a key in the JSON config file
 * and an environment variable; a flag beats the variable, which beats the file,
 * which beats the default.
 */
import { readFileSync } from 'node:fs';
import type { AuthMode } from './http/authenticate.js';

export interface ServerConfig {
  /** host:port to listen on. */
  listen: string;
  /** The XCAP root path. */
  root: string;
  /** SQLite file (or storage URL). */
  database: string;
  auth: AuthMode;
  /** A fixed Digest/Basic realm; empty means the user's SIP domain. */
  realm: string;
  /**
   * Realm for requests that name no user (the global tree) when `realm` is empty;
   * empty: the host the client asked for, less a leading `xcap.` (RFC 4825 §6.1
   * recommends xcap.<domain>).
   */
  defaultRealm: string;
  tlsCert: string;
  tlsKey: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Most request-body bytes one process holds at once (at least maxBodyBytes); more gets 503. */
  maxBodyBytesInFlight: number;
  logLevel: string;
  /** Comma-separated addresses whose identity headers (X-XCAP-Asserted-Identity, X-3GPP-*) are trusted. */
  trustedProxies: string[];
  /** Secret shared by all nodes so that they accept each other's Digest nonces (hex or text); random when empty. */
  digestSecret: string;
  /** Seconds a Digest nonce stays valid. */
  nonceLifetime: number;
  /**
   * Where Snom phones' root-less URLs (`[<auid>/]users/<xui>/<document>`) are
   * answered: '/' for the whole server, a path such as '/phones', or 'off'.
   */
  phonePath: string;
  /** The application usage those phone URLs are answered from. */
  phoneAuid: string;
  /** PostgreSQL: most pooled connections per node. */
  databasePool: number;
  /**
   * Megabytes of memory per process for recently used documents and their parsed
   * trees (a quarter for the texts, the rest for the trees); 0 switches caching off.
   */
  cacheMb: number;
  /** Server processes sharing the listening socket and the database (one per core is usual). */
  workers: number;
  /**
   * V8's old-space limit of each worker process in megabytes (--max-old-space-size);
   * 0 leaves Node's default. Only where xcapd starts the processes (--workers > 1).
   */
  heapMb: number;
  /** The SIP server's user database (postgres:// or mysql:// URL); empty: xcapd's own users. */
  userDatabase: string;
  /** The subscriber table in `userDatabase` (`schema.table` accepted). */
  userTable: string;
  /** `role=column` overrides (roles username, domain, ha1, ha1b, ha1Sha256); `ha1b=` for a column the table lacks. */
  userColumns: string[];
  /** The clear-text password column of `userTable`; '' or 'none' when passwords are kept only hashed. */
  userPasswordColumn: string;
  /** Users of `userDatabase` who are xcapd administrators. */
  userAdmins: string[];
  // --- presence integration and change notifications (src/notify/) ---
  /** The absolute XCAP root written in xcap-diff documents; empty: the server's own URL. */
  publicRoot: string;
  /** Milliseconds a user's changes are collected before a notifier sends them. */
  notifyBatchMs: number;
  /** Attempts per notification (the first included) before it is given up. */
  notifyAttempts: number;
  /** Milliseconds each notification attempt may take. */
  notifyTimeoutMs: number;
  /** The application usages whose changes are told to the presence server. */
  presenceAuids: string[];
  /** Kamailio JSON-RPC URL (jsonrpcs over xhttp), e.g. http://127.0.0.1:5060/RPC; empty: off. */
  kamailioRpcUrl: string;
  /** presence.refreshWatchers and/or presence.updateWatchers, called in this order. */
  kamailioRpcMethods: string[];
  /** A Kamailio route that re-fetches the changed document, with {xui} {user} {domain} {auid} {document} {uri}; empty: none. */
  kamailioRefetchUrl: string;
  /** OpenSIPS MI URL (mi_http, JSON-RPC), e.g. http://127.0.0.1:8888/mi; empty: off. */
  opensipsMiUrl: string;
  /** The MI command: refresh_watchers (3.x) or presence:refresh_watchers. */
  opensipsMiCommand: string;
  /** Outbound proxy for PUBLISH of xcap-diff (udp:host:port, tcp:host:port or sip:host:port;transport=tcp); empty: off. */
  sipPublishProxy: string;
  /** URL that receives every change as an xcap-diff POST; empty: off. */
  webhookUrl: string;
  /** Shared secret for the webhook's X-Xcapd-Signature; empty: unsigned. */
  webhookSecret: string;
  /** Change feed events kept for clients that reconnect with Last-Event-ID. */
  feedHistory: number;
  /** Seconds between heartbeat comments on a change feed stream. */
  feedHeartbeat: number;
  /** host:port where xcapd answers SIP SUBSCRIBE for xcap-diff over UDP and TCP; empty: off. */
  sipListen: string;
  /** host[:port] written in Via and Contact when it differs from sipListen (NAT, 0.0.0.0). */
  sipAdvertise: string;
  /** digest (subscribers authenticate) or none (the From / P-Asserted-Identity user is believed). */
  sipAuth: string;
  /** Longest xcap-diff subscription granted, in seconds. */
  sipMaxExpires: number;
  /** Shortest time between two NOTIFYs of one subscription, in seconds (RFC 5875 §4.10 suggests 5). */
  sipNotifyInterval: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  listen: '127.0.0.1:8080',
  root: '/xcap-root',
  database: './data/xcapd.sqlite',
  auth: 'digest',
  realm: '',
  defaultRealm: '',
  tlsCert: '',
  tlsKey: '',
  maxBodyBytes: 4 * 1024 * 1024,
  maxBodyBytesInFlight: 32 * 1024 * 1024,
  logLevel: 'info',
  trustedProxies: [],
  digestSecret: '',
  nonceLifetime: 300,
  phonePath: '/',
  phoneAuid: 'com.counterpath.tbook',
  databasePool: 10,
  cacheMb: 32,
  workers: 1,
  heapMb: 1024,
  userDatabase: '',
  userTable: 'subscriber',
  userColumns: [],
  userPasswordColumn: 'password',
  userAdmins: [],
  publicRoot: '',
  notifyBatchMs: 200,
  notifyAttempts: 5,
  notifyTimeoutMs: 5000,
  presenceAuids: ['pres-rules', 'org.openmobilealliance.pres-rules', 'pidf-manipulation'],
  kamailioRpcUrl: '',
  kamailioRpcMethods: ['presence.refreshWatchers'],
  kamailioRefetchUrl: '',
  opensipsMiUrl: '',
  opensipsMiCommand: 'refresh_watchers',
  sipPublishProxy: '',
  webhookUrl: '',
  webhookSecret: '',
  feedHistory: 1000,
  feedHeartbeat: 15,
  sipListen: '',
  sipAdvertise: '',
  sipAuth: 'digest',
  sipMaxExpires: 3600,
  sipNotifyInterval: 5,
};

type Key = keyof ServerConfig;

/** The environment variable of a key: `maxBodyBytes` → `XCAPD_MAX_BODY_BYTES`. */
export function envName(key: Key): string {
  return `XCAPD_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Turns one raw value (from a flag, the environment or the file) into a setting, or says why not. */
function coerce<K extends Key>(key: K, raw: unknown, source: string): ServerConfig[K] {
  const fail = (what: string): never => {
    throw new ConfigError(`${source}: ${key} ${what}`);
  };
  const def = DEFAULT_CONFIG[key];
  let value: unknown = raw;
  if (Array.isArray(def)) {
    if (typeof raw === 'string') value = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail('must be a list of strings');
  } else if (typeof def === 'number') {
    value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const least = key === 'cacheMb' || key === 'heapMb' ? 0 : Number.MIN_VALUE;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < least) {
      fail(`must be a ${least === 0 ? 'non-negative' : 'positive'} number, not ${JSON.stringify(raw)}`);
    }
  } else if (typeof raw !== 'string') {
    fail('must be a string');
  }
  if (key === 'auth' && !['digest', 'basic', 'none'].includes(value as string)) fail(`must be digest, basic or none, not ${JSON.stringify(raw)}`);
  if (key === 'listen') parseListen(value as string, source);
  if (key === 'sipListen' && value !== '') parseListen(value as string, source);
  if (key === 'sipAuth' && !['digest', 'none'].includes(value as string)) fail(`must be digest or none, not ${JSON.stringify(raw)}`);
  if (key === 'kamailioRpcMethods' && (value as string[]).some((m) => !['presence.refreshWatchers', 'presence.updateWatchers'].includes(m))) {
    fail(`may list only presence.refreshWatchers and presence.updateWatchers, not ${JSON.stringify(raw)}`);
  }
  if ((key === 'databasePool' || key === 'workers' || key === 'heapMb') && !Number.isSafeInteger(value)) fail(`must be a whole number, not ${JSON.stringify(raw)}`);
  if (key === 'phonePath' && value !== 'off' && !(value as string).startsWith('/')) fail(`must be 'off' or a path starting with '/', not ${JSON.stringify(raw)}`);
  return value as ServerConfig[K];
}

export function parseListen(listen: string, source = 'listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen) ?? /^(\d{1,5})$/.exec(listen);
  if (!m) throw new ConfigError(`${source}: listen must be host:port, not ${JSON.stringify(listen)}`);
  const port = Number(m.length === 2 ? m[1] : m[3]);
  if (port > 65535) throw new ConfigError(`${source}: port ${port} is out of range`);
  const host = m.length === 2 ? '127.0.0.1' : (m[1] ?? m[2] ?? '') || '0.0.0.0';
  return { host, port };
}

/**
 * Merges defaults, the config file (`--config` or XCAPD_CONFIG), the environment and
 * the flags that were given.
 */
export function loadConfig(
  flags: Partial<Record<Key, unknown>>,
  options: { configFile?: string; env?: NodeJS.ProcessEnv } = {},
): ServerConfig {
  const env = options.env ?? process.env;
  const config: ServerConfig = { ...DEFAULT_CONFIG, trustedProxies: [] };
  const file = options.configFile ?? env.XCAPD_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file} must hold a JSON object`);
    }
    for (const [key, raw] of Object.entries(parsed)) {
      if (!(key in DEFAULT_CONFIG)) throw new ConfigError(`config file ${file}: unknown key ${key}`);
      set(config, key as Key, coerce(key as Key, raw, `config file ${file}`));
    }
  }
  for (const key of Object.keys(DEFAULT_CONFIG) as Key[]) {
    const raw = env[envName(key)];
    if (raw !== undefined && raw !== '') set(config, key, coerce(key, raw, `environment ${envName(key)}`));
  }
  for (const [key, raw] of Object.entries(flags)) {
    if (raw !== undefined) set(config, key as Key, coerce(key as Key, raw, `--${key}`));
  }
  if ((config.tlsCert === '') !== (config.tlsKey === '')) {
    throw new ConfigError('tlsCert and tlsKey go together: give both or neither');
  }
  return config;
}

function set<K extends Key>(config: ServerConfig, key: K, value: ServerConfig[K]): void {
  config[key] = value;
}
