/**
 * `xcapd phonebook import|export`: the command group, registered on the xcapd
 * program by `registerPhonebookCommands`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InvalidUserIdError } from '../auth/user-id.js';
import { UserCommandError } from '../cli/users.js';
import type { ServerConfig } from '../config.js';
import type { Storage } from '../storage/types.js';
import { PHONEBOOK_DOCUMENT } from '../appusages/usages/phonebook.js';
import { exportPhonebook, importPhonebook, type ContactFormat, type PhonebookTarget } from './import-export.js';

/** A mistake on the command line: one line on stderr, exit 2 (as for the user commands). */
export class PhonebookCommandError extends UserCommandError {}

export interface PhonebookCommandContext {
  readonly withStorage: <T>(flags: { database?: string; config?: string }, run: (storage: Storage, config: ServerConfig) => Promise<T>) => Promise<T>;
  readonly databaseOption: () => Option;
  readonly configOption: () => Option;
}

interface TargetFlags {
  user?: string;
  shared?: boolean;
  document: string;
}

function targetOf(flags: TargetFlags): PhonebookTarget {
  if (flags.user !== undefined && flags.shared) throw new PhonebookCommandError('give --user or --shared, not both');
  if (flags.shared) return { shared: true };
  if (flags.user === undefined) throw new PhonebookCommandError('name the phone book: --user alice@example.com, or --shared for the company directory');
  return { user: flags.user };
}

function storageFlags(flags: { database?: string; config?: string }): { database?: string; config?: string } {
  return { ...(flags.database ? { database: flags.database } : {}), ...(flags.config ? { config: flags.config } : {}) };
}

function describeTarget(target: PhonebookTarget, document: string): string {
  return 'shared' in target ? `the shared directory (global/${document})` : `${target.user}'s ${document}`;
}

function userErrors<T>(run: () => Promise<T>): Promise<T> {
  return run().catch((e: unknown) => {
    if (e instanceof InvalidUserIdError) throw new PhonebookCommandError(`'${e.input}' is not a user id like alice@example.com`);
    throw e;
  });
}

export function registerPhonebookCommands(program: Command, context: PhonebookCommandContext): void {
  const group = program.command('phonebook').description('import and export the phone books of Snom and Bria phones (tbook.xml)');

  group
    .command('import <file>')
    .description('import contacts from a vCard (.vcf) or CSV (Google, Outlook) export')
    .option('--user <user>', 'into this user\'s phone book (alice@example.com)')
    .option('--shared', 'into the shared company directory every phone receives')
    .option('--replace', 'make the phone book exactly the import (entries not in the file are removed)')
    .option('--merge', 'update and add entries, keep the others (the default)')
    .addOption(new Option('--format <format>', 'the file\'s format (default: from its name or content)').choices(['vcf', 'csv']))
    .option('--country-code <cc>', 'write national (0...) and 00... numbers as +<cc>... (e.g. 49)')
    .option('--document <name>', 'the document name (xcap_dir_doc_name)', PHONEBOOK_DOCUMENT)
    .option('--dry-run', 'report what would change, write nothing')
    .addOption(context.databaseOption())
    .addOption(context.configOption())
    .action(async (file: string, flags: TargetFlags & { replace?: boolean; merge?: boolean; format?: ContactFormat; countryCode?: string; dryRun?: boolean; database?: string; config?: string }) => {
      if (flags.replace && flags.merge) throw new PhonebookCommandError('give --replace or --merge, not both');
      const target = targetOf(flags);
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new PhonebookCommandError(`cannot read ${file}: ${(e as Error).message}`);
      }
      await userErrors(() =>
        context.withStorage(storageFlags(flags), async (storage) => {
          const report = await importPhonebook(storage, bytes, {
            target,
            document: flags.document,
            mode: flags.replace ? 'replace' : 'merge',
            fileName: file,
            ...(flags.format ? { format: flags.format } : {}),
            ...(flags.countryCode ? { numbers: { countryCode: flags.countryCode } } : {}),
            ...(flags.dryRun ? { dryRun: true } : {}),
          });
          for (const w of report.warnings) console.error(`warning: ${w}`);
          const changes = `${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.mode === 'replace' ? `${report.removed} removed` : `${report.untouched} other entries kept`}`;
          const outcome = flags.dryRun ? 'dry run, nothing written' : report.written ? `written, etag ${report.etag}` : 'nothing to change';
          console.log(`${report.contacts} contacts from ${file} (${report.format}) into ${describeTarget(target, flags.document)}: ${changes}; ${outcome}`);
        }),
      );
    });

  group
    .command('export')
    .description('export a phone book as vCard 3.0 or CSV')
    .option('--user <user>', 'this user\'s personal phone book')
    .option('--shared', 'the shared company directory')
    .addOption(new Option('--format <format>', 'vcf or csv').choices(['vcf', 'csv']).default('vcf'))
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .option('--document <name>', 'the document name (xcap_dir_doc_name)', PHONEBOOK_DOCUMENT)
    .addOption(context.databaseOption())
    .addOption(context.configOption())
    .action(async (flags: TargetFlags & { format: ContactFormat; output?: string; database?: string; config?: string }) => {
      const target = targetOf(flags);
      await userErrors(() =>
        context.withStorage(storageFlags(flags), async (storage) => {
          const exported = await exportPhonebook(storage, { target, document: flags.document, format: flags.format });
          if (exported === null) throw new PhonebookCommandError(`there is no phone book for ${describeTarget(target, flags.document)}`);
          if (flags.output === undefined) {
            process.stdout.write(exported.text);
          } else {
            writeFileSync(flags.output, exported.text);
            console.log(`${exported.entries} entries of ${describeTarget(target, flags.document)} written to ${flags.output}`);
          }
        }),
      );
    });
}
