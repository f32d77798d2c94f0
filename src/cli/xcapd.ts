#!/usr/bin/env node
/**
 * `xcapd`: serve XCAP, and manage the users it authenticates.
 */
import { Command, CommanderError, Option } from 'commander';
import { getHeapStatistics } from 'node:v8';
import { pino } from 'pino';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type ServerConfig } from '../config.js';
import { startXcapServer } from '../http/server.js';
import { Notifications } from '../notify/setup.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/types.js';
import { createUserRecord, UserCommandError } from './users.js';
import { registerPhonebookCommands } from '../phonebook/cli.js';
import { registerDataCommands } from './data-commands.js';
import { openSubscriberDirectory, subscriberOptionsFromConfig } from '../auth/subscriber-directory.js';
import { InvalidUserIdError, normalizeUserId } from '../auth/user-id.js';
import { superviseWorkers, workerNumber, writerSocketPath, writesLocally } from '../cluster/supervisor.js';
import { WriterHub } from '../cluster/writer-hub.js';
import { WriterLink } from '../cluster/writer-link.js';
import type { DocumentChange } from '../service/xcap-service.js';

interface ServeFlags {
  listen?: string;
  root?: string;
  database?: string;
  auth?: string;
  realm?: string;
  tlsCert?: string;
  tlsKey?: string;
  config?: string;
  logLevel?: string;
  phonePath?: string;
  phoneAuid?: string;
  workers?: string;
  cacheMb?: string;
  heapMb?: string;
}

function databaseOption(): Option {
  return new Option('--database <file|url>', 'SQLite database file or postgres:// URL (env XCAPD_DATABASE)');
}

function configOption(): Option {
  return new Option('--config <file>', 'JSON config file (env XCAPD_CONFIG)');
}

function configFrom(flags: ServeFlags): ServerConfig {
  const { config: configFile } = flags;
  const settings = Object.fromEntries(Object.entries(flags).filter(([k]) => k in DEFAULT_CONFIG));
  return loadConfig(settings, configFile ? { configFile } : {});
}

async function withStorage<T>(flags: ServeFlags, run: (storage: Storage, config: ServerConfig) => Promise<T>): Promise<T> {
  const config = configFrom(flags);
  const storage = await openStorage(config.database, { poolSize: config.databasePool });
  try {
    return await run(storage, config);
  } finally {
    await storage.close();
  }
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = configFrom(flags);
  const worker = workerNumber();
  const logger = pino({ level: config.logLevel, base: worker === null ? { service: 'xcapd' } : { service: 'xcapd', worker, pid: process.pid } });
  if (config.workers > 1 && worker === null) {
    // Migrations and the first-run advice happen once, before any worker opens the database.
    await withStorage(flags, async (storage) => warnWithoutUsers(storage, config, flags, logger));
    superviseWorkers(config.workers, { logger, digestSecret: config.digestSecret, heapMb: config.heapMb });
    return;
  }
  const storage = await openStorage(config.database, {
    poolSize: config.databasePool,
    onBackgroundError: (err) => logger.warn({ err }, 'storage background error'),
  });
  const directory = config.userDatabase ? await openSubscriberDirectory(subscriberOptionsFromConfig(config)) : undefined;
  // With workers: worker 1 writes and tells the others of every change; they forward their writes to it.
  const link =
    worker !== null && !writesLocally(worker)
      ? // Relayed changes come only once the feed follows, after `notifications` exists.
        new WriterLink({ path: writerSocketPath(), onRelayedChange: (change) => notifications.onRelayedChange(change), logger })
      : null;
  let hub: WriterHub | null = null;
  const notifications = new Notifications({
    config,
    storage,
    logger,
    ...(directory ? { users: directory } : {}),
    sipListener: writesLocally(worker),
    ...(link ? { follower: link } : {}),
  });
  notifications.metrics.gauge('xcapd_heap_limit_bytes', "V8's heap size limit of this process (heapMb)", () => getHeapStatistics().heap_size_limit);
  const onChange = (change: DocumentChange): void => {
    notifications.onChange(change);
    hub?.publish(change);
    link?.publish(change);
  };
  const running = await startXcapServer({
    config,
    storage,
    logger,
    ...(directory ? { users: directory } : {}),
    onChange,
    feed: notifications.feed,
    metrics: notifications.metrics,
    ...(link ? { writes: link.forward } : {}),
  });
  if (worker !== null && link === null) {
    hub = await WriterHub.listen(writerSocketPath(), { handle: running.handleForwarded, onRelayedChange: notifications.onRelayedChange, logger });
  }
  await notifications.start(running);
  const userCount = directory ? 0 : (await storage.userSummary()).count;
  logger.info(
    { url: running.rootUrl, database: storage.description, auth: config.auth, users: directory ? directory.description : userCount },
    `xcapd serving ${running.rootUrl} (database ${storage.description}, auth ${config.auth}${directory ? `, users from the ${directory.description}` : ''})`,
  );
  if (!directory && worker === null) await warnWithoutUsers(storage, config, flags, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    link?.close();
    void (hub?.close() ?? Promise.resolve())
      .then(() => notifications.close())
      .then(() => running.close())
      .then(() => storage.close())
      .then(() => directory?.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function warnWithoutUsers(storage: Storage, config: ServerConfig, flags: ServeFlags, logger: pino.Logger): Promise<void> {
  if (config.auth === 'none' || config.userDatabase) return;
  if ((await storage.userSummary()).count > 0) return;
  logger.warn(
    `no users yet: add one with "npx xcapd user add alice@example.com --password secret${flags.database ? ` --database ${flags.database}` : ''}"`,
  );
}

export function buildProgram(): Command {
  const program = new Command('xcapd')
    .description('XCAP (RFC 4825) server for SIP presence, buddy lists and phone books')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('serve', { isDefault: true })
    .description('serve XCAP over HTTP(S)')
    .option('--listen <host:port>', 'address to listen on (env XCAPD_LISTEN)')
    .option('--root <path>', 'XCAP root path (env XCAPD_ROOT)')
    .addOption(databaseOption())
    .addOption(new Option('--auth <mode>', 'authentication (env XCAPD_AUTH)').choices(['digest', 'basic', 'none']))
    .option('--realm <realm>', 'fixed authentication realm; default: the user\'s SIP domain (env XCAPD_REALM)')
    .option('--tls-cert <file>', 'TLS certificate (PEM) to serve HTTPS (env XCAPD_TLS_CERT)')
    .option('--tls-key <file>', 'TLS private key (PEM) (env XCAPD_TLS_KEY)')
    .option('--log-level <level>', 'pino log level (env XCAPD_LOG_LEVEL)')
    .option('--phone-path <path>', 'where Snom phone URLs [<auid>/]users/<xui>/<doc> are answered, or off (env XCAPD_PHONE_PATH)')
    .option('--phone-auid <auid>', 'the application usage phone URLs are answered from (env XCAPD_PHONE_AUID)')
    .option('--workers <n>', 'server processes sharing the port and the database, e.g. one per core (env XCAPD_WORKERS)')
    .option('--cache-mb <mb>', 'memory per process for cached documents and parsed trees, 0 = off (env XCAPD_CACHE_MB)')
    .option('--heap-mb <mb>', "each worker's V8 old-space limit, 0 = Node's default (env XCAPD_HEAP_MB)")
    .addOption(configOption())
    .action(serve);

  const user = program.command('user').description('manage the users xcapd authenticates');
  user
    .command('add <user>')
    .description('add a user (alice@example.com or sip:alice@example.com)')
    .requiredOption('--password <password>', 'the password (stored only as Digest hashes)')
    .option('--admin', 'may write the global tree and every user\'s documents', false)
    .addOption(databaseOption())
    .addOption(configOption())
    .action(async (id: string, flags: ServeFlags & { password: string; admin: boolean }) => {
      await withStorage(flags, async (storage, config) => {
        const record = createUserRecord(id, flags.password, flags.admin, config);
        if (await storage.getUser(record.id)) throw new UserCommandError(`user ${record.id} exists already; use "xcapd user passwd"`);
        await storage.putUser(record);
        console.log(`added ${record.id}${record.admin ? ' (admin)' : ''}, realm ${record.realm}`);
      });
    });
  user
    .command('passwd <user>')
    .description('set a user\'s password')
    .requiredOption('--password <password>', 'the new password')
    .option('--admin', 'also make the user an administrator')
    .option('--no-admin', 'also take administrator rights away')
    .addOption(databaseOption())
    .addOption(configOption())
    .action(async (id: string, flags: ServeFlags & { password: string; admin?: boolean }) => {
      await withStorage(flags, async (storage, config) => {
        const existing = await storage.getUser(normalize(id));
        if (!existing) throw new UserCommandError(`no user ${normalize(id)}; use "xcapd user add"`);
        const record = createUserRecord(id, flags.password, flags.admin ?? existing.admin, config, existing.createdAt);
        await storage.putUser(record);
        console.log(`password of ${record.id} changed`);
      });
    });
  user
    .command('remove <user>')
    .description('remove a user (their documents stay)')
    .addOption(databaseOption())
    .addOption(configOption())
    .action(async (id: string, flags: ServeFlags) => {
      await withStorage(flags, async (storage) => {
        if (!(await storage.removeUser(normalize(id)))) throw new UserCommandError(`no user ${normalize(id)}`);
        console.log(`removed ${normalize(id)}`);
      });
    });
  user
    .command('list')
    .description('list users')
    .addOption(databaseOption())
    .addOption(configOption())
    .action(async (flags: ServeFlags) => {
      await withStorage(flags, async (storage) => {
        for (const u of await storage.listUsers()) console.log(`${u.id}\trealm=${u.realm}${u.admin ? '\tadmin' : ''}`);
      });
    });
  registerPhonebookCommands(program, { withStorage, databaseOption, configOption });
  registerDataCommands(program, { withStorage, databaseOption, configOption });
  return program;
}

function normalize(id: string): string {
  try {
    return normalizeUserId(id);
  } catch (e) {
    if (e instanceof InvalidUserIdError) throw new UserCommandError(`'${id}' is not a user id like alice@example.com`);
    throw e;
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ConfigError || e instanceof UserCommandError) {
      console.error(`xcapd: ${e.message}`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      console.error(`xcapd: the address is already in use (${err.message}); pick another with --listen`);
      return 1;
    }
    console.error(`xcapd: ${err.message ?? String(e)}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
