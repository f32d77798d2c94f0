#!/usr/bin/env node
/**
 * `xcapclient`: manage full or partial XML documents on an XCAP server (RFC 4825),
 * a drop-in for python-xcaplib's tool. This file only parses arguments; the work is
 * in ./xcapclient/run.ts and the client library.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { knownAuids } from '../client/applications.js';
import { bashCompletionScript, zshCompletionScript, type CompletionWords } from './xcapclient/completion.js';
import { promptPassword } from './xcapclient/prompt.js';
import { ACTIONS, completeSelector, runXcapclient, type CliFlags, type CliIo } from './xcapclient/run.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function buildProgram(): Command {
  return new Command('xcapclient')
    .usage('[OPTIONS] [--app AUID] ACTION [NODE-SELECTOR]')
    .description(
      'Client for managing full or partial XML documents on XCAP servers (RFC 4825).\n\n' +
        `ACTION is one of ${ACTIONS.join(', ')}. A NODE-SELECTOR (like /resource-lists/list[@name="friends"]) makes\n` +
        'the action apply to an element or attribute; without one it applies to the whole document.\n' +
        'put creates or replaces; insert only creates; replace only replaces.\n' +
        'Settings may come from ~/.xcapclient.ini ($XCAPCLIENT_CONFIG): [Account] or [Account_NAME] with\n' +
        'sip_address, password and xcap_root.',
    )
    .argument('[action]')
    .argument('[node-selector]')
    .option('-a, --account-name <name>', 'read settings from section [Account_NAME] of the configuration file')
    .option('--show-config', 'show the settings in use and exit')
    .option('--xcap-root <url>', 'XCAP root, e.g. https://xcap.example.com/xcap-root')
    .option('--sip-address <address>', 'SIP address of the user, username@domain')
    .option('-p, --password <password>', 'password; asked for on a terminal when the server wants one')
    .addOption(new Option('--auth <method>', 'authentication: auto (default), digest, basic or none'))
    .option('--app <auid>', `application usage; guessed from NODE-SELECTOR or the input document. Known: ${knownAuids().join(', ')}`)
    .option('--filename <name>', 'document name (default index, or the application\'s usual name)')
    .option('-c, --context <context>', 'document tree: users (default) or global (default for xcap-caps)')
    .option('--xui <user>', 'another user\'s documents (third-party XUI), e.g. bob@example.com')
    .option('--etag <etag>', 'perform the operation only if the document has this ETag (If-Match)')
    .option('--if-none-match <etag>', 'perform the operation only if the document does not have this ETag (If-None-Match; * for create-only)')
    .option('--add-header <header>', "extra request header 'Name: value' (repeatable)", collect, [])
    .option('--ns <prefix=uri>', 'bind a namespace prefix used in NODE-SELECTOR (repeatable)', collect, [])
    .option('-i <file>', 'source of the body of put/insert/replace; - or default is stdin')
    .option('-o <file>', 'write the response body here instead of stdout')
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'show every HTTP exchange on stderr')
    .addOption(new Option('-d, --dump', 'same as --verbose').hideHelp())
    .option('--insecure', 'accept any TLS certificate (self-signed test servers)')
    .option('--timeout <seconds>', 'give up on an HTTP exchange after this long (default 30)')
    .option('--completion <shell>', 'print a bash or zsh completion script and exit')
    .addOption(new Option('--complete-selector <partial>', 'list the node selectors continuing <partial>').hideHelp())
    .version(version(), '-V, --version')
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .exitOverride();
}

function completionWords(program: Command): CompletionWords {
  const visible = program.options.filter((o) => !o.hidden || o.long === '--dump');
  const spellings = (o: Option) => [o.short, o.long].filter((s): s is string => typeof s === 'string');
  return {
    options: [...visible.flatMap(spellings), '-h', '--help'],
    valueOptions: program.options.filter((o) => o.required || o.optional).flatMap(spellings),
    actions: ACTIONS,
    apps: knownAuids(),
  };
}

interface RawFlags extends Omit<CliFlags, 'input' | 'output'> {
  readonly i?: string;
  readonly o?: string;
  readonly dump?: boolean;
  readonly completion?: string;
  readonly completeSelector?: string;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr.write('Type xcapclient -h for help.\n');
    return 1;
  }
  const program = buildProgram();
  let problem = '';
  program.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
    outputError: (s) => {
      problem += s;
    },
  });
  let exit = 0;
  program.action(async (action: string | undefined, selector: string | undefined, raw: RawFlags) => {
    const flags: CliFlags = { ...raw, verbose: raw.verbose === true || raw.dump === true, ...(raw.i === undefined ? {} : { input: raw.i }), ...(raw.o === undefined ? {} : { output: raw.o }) };
    if (raw.completion !== undefined) {
      if (raw.completion !== 'bash' && raw.completion !== 'zsh') {
        io.stderr.write(`xcapclient: --completion takes bash or zsh, not '${raw.completion}'\n`);
        exit = 1;
        return;
      }
      const words = completionWords(program);
      io.stdout.write(raw.completion === 'bash' ? bashCompletionScript(words) : zshCompletionScript(words));
      return;
    }
    if (raw.completeSelector !== undefined) {
      exit = await completeSelector(raw.completeSelector, flags, io);
      return;
    }
    exit = await runXcapclient(action, selector, flags, io);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      const text = (problem || e.message).replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ').trim();
      io.stderr.write(`xcapclient: error: ${text} (see xcapclient --help)\n`);
      // optparse, which python-xcaplib uses, exits 2 on a command-line syntax error.
      return 2;
    }
    throw e;
  }
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  promptPassword,
});
process.exitCode = code;
