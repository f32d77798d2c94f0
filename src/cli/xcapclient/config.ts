/**
 * python-xcaplib's configuration file, `~/.xcapclient.ini` (or `$XCAPCLIENT_CONFIG`):
 *
 *   [Account]                 used by default
 *   sip_address = alice@example.com
 *   password = secret
 *   xcap_root = https://xcap.example.com/xcap-root
 *
 *   [Account_work]            used with -a work
 *
 * Read the way Python's configparser reads it: `key = value` or `key: value`, whole
 * lines starting with `#` or `;` are comments, and a `#` or `;` inside a value is part
 * of it (the `ini` package would cut `pass;word` at the `;`).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AccountSettings {
  readonly sip_address?: string;
  readonly password?: string;
  readonly xcap_root?: string;
  readonly auth?: string;
}

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.XCAPCLIENT_CONFIG || join(homedir(), '.xcapclient.ini');
}

export function sectionName(account: string | undefined): string {
  return account === undefined ? 'Account' : `Account_${account}`;
}

/** Section name → key → value. Keys are lower-cased, as configparser does. */
export function parseIni(text: string, file: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  let lastKey: string | null = null;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (/^\s/.test(line) && current !== null && lastKey !== null) {
      // configparser continuation line: part of the previous value.
      current.set(lastKey, `${current.get(lastKey) ?? ''}\n${trimmed}`);
      return;
    }
    const section = /^\[(.+)\]$/.exec(trimmed);
    if (section) {
      const name = section[1]!.trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      lastKey = null;
      return;
    }
    const eq = /^([^=:]+)[=:](.*)$/.exec(trimmed);
    if (!eq) throw new ConfigFileError(`${file}, line ${i + 1}: expected "key = value" or "[Section]", got ${JSON.stringify(trimmed)}`);
    if (current === null) throw new ConfigFileError(`${file}, line ${i + 1}: "${eq[1]!.trim()}" is outside any [Account] section`);
    lastKey = eq[1]!.trim().toLowerCase();
    current.set(lastKey, eq[2]!.trim());
  });
  return sections;
}

/**
 * The settings of one account section. A missing file is no error (everything may be
 * on the command line); a missing named section (-a NAME) is.
 */
export function readAccount(file: string, account: string | undefined): AccountSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (account !== undefined) throw new ConfigFileError(`section [${sectionName(account)}] was not found: ${file} does not exist`);
      return {};
    }
    throw new ConfigFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const section = parseIni(text, file).get(sectionName(account));
  if (section === undefined) {
    if (account !== undefined) throw new ConfigFileError(`section [${sectionName(account)}] was not found in ${file}`);
    return {};
  }
  const pick = (key: string) => {
    const v = section.get(key);
    return v === undefined || v === '' ? {} : { [key]: v };
  };
  return { ...pick('sip_address'), ...pick('password'), ...pick('xcap_root'), ...pick('auth') };
}
