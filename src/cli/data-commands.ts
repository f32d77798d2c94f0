/**
 * `xcapd migrate`, `xcapd export` and `xcapd import`: bring a database's schema up
 * to date, and move everything between databases (SQLite ⇄ PostgreSQL) or to and
 * from a backup file.
 */
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command, Option } from 'commander';
import { AppUsageRegistry } from '../appusages/registry.js';
import type { ServerConfig } from '../config.js';
import { parseDocumentBody } from '../xcap/operations.js';
import { exportStorage, importStorage } from '../storage/transfer.js';
import type { Storage, StoredDocument, UniqueClaim } from '../storage/types.js';

export interface DataCommandContext {
  readonly withStorage: <T>(flags: { database?: string; config?: string }, run: (storage: Storage, config: ServerConfig) => Promise<T>) => Promise<T>;
  readonly databaseOption: () => Option;
  readonly configOption: () => Option;
}

/**
 * The claims of a document as its application usage computes them when it is
 * written; a document of an unknown usage claims nothing.
 */
export function claimsFromUsages(registry = new AppUsageRegistry()): (document: StoredDocument) => readonly UniqueClaim[] {
  return (document) => {
    const usage = registry.get(document.key.auid);
    if (!usage?.checkConstraints) return [];
    return usage.checkConstraints(parseDocumentBody(document.content), document.key);
  };
}

function storageFlags(flags: { database?: string; config?: string }): { database?: string; config?: string } {
  return { ...(flags.database ? { database: flags.database } : {}), ...(flags.config ? { config: flags.config } : {}) };
}

export function registerDataCommands(program: Command, context: DataCommandContext): void {
  program
    .command('migrate')
    .description('create the database schema, or bring it up to date (also done by serve at start)')
    .addOption(context.databaseOption())
    .addOption(context.configOption())
    .action(async (flags: { database?: string; config?: string }) => {
      await context.withStorage(storageFlags(flags), async (storage) => {
        const applied = (storage as { migrationsApplied?: number }).migrationsApplied;
        console.log(`${storage.description}: the schema is up to date${applied ? ` (${applied} migration${applied === 1 ? '' : 's'} applied now)` : ''}`);
      });
    });

  program
    .command('export')
    .description('write every user and document to a JSON-lines file (stdout by default)')
    .addOption(context.databaseOption())
    .addOption(context.configOption())
    .option('-o, --output <file>', 'the file to write (written whole or not at all)')
    .action(async (flags: { database?: string; config?: string; output?: string }) => {
      await context.withStorage(storageFlags(flags), async (storage) => {
        if (!flags.output || flags.output === '-') {
          const counts = await exportStorage(storage, process.stdout);
          console.error(`exported ${counts.users} users and ${counts.documents} documents from ${storage.description}`);
          return;
        }
        // Written beside the target and renamed at the end, so a failed export never leaves half a file.
        const partial = `${flags.output}.partial-${process.pid}`;
        const out = createWriteStream(partial, { flags: 'wx' });
        try {
          const counts = await exportStorage(storage, out);
          out.end();
          await finished(out);
          renameSync(partial, flags.output);
          console.error(`exported ${counts.users} users and ${counts.documents} documents from ${storage.description} to ${flags.output}`);
        } catch (error) {
          out.destroy();
          rmSync(partial, { force: true });
          throw error;
        }
      });
    });

  program
    .command('import <file>')
    .description('read a file written by "xcapd export" (- for stdin) into the database')
    .addOption(context.databaseOption())
    .addOption(context.configOption())
    .option('--replace', 'overwrite users and documents that exist already (without it the database must be empty)', false)
    .action(async (file: string, flags: { database?: string; config?: string; replace: boolean }) => {
      await context.withStorage(storageFlags(flags), async (storage) => {
        const input = file === '-' ? process.stdin : createReadStream(file);
        const counts = await importStorage(storage, input, { replace: flags.replace, claimsFor: claimsFromUsages() });
        console.error(`imported ${counts.users} users and ${counts.documents} documents into ${storage.description}`);
      });
    });
}
