/**
 * What `xcapclient` does once its arguments are parsed: settle the account (flags,
 * then the config file), pick the application usage, run one action through the
 * client library and report the way python-xcaplib's xcapclient does: progress,
 * status and `etag:` on stderr, the body on stdout, exit 0 for 2xx, 3 for any other
 * HTTP answer, 1 when the server cannot be reached or the command is wrong.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ApplicationTable, type ApplicationInfo } from '../../client/applications.js';
import { attributeValueOf } from '../../client/att-value.js';
import type { AuthMode } from '../../client/auth.js';
import { XcapClient, type GetResult, type OperationOptions, type WriteResult } from '../../client/client.js';
import {
  AlreadyExistsError,
  ClientConfigError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  PreconditionFailedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UsageError,
  XcapClientError,
} from '../../client/errors.js';
import { resolveSelector, SelectorError, type ResolvedSelector } from '../../client/selector-builder.js';
import { childSelectors } from '../../client/selector-paths.js';
import type { HttpExchange } from '../../client/transport.js';
import { parseXmlDocument } from '../../xcap/xml/parser.js';
import { configFilePath, ConfigFileError, readAccount, sectionName } from './config.js';

export const ACTIONS = ['get', 'put', 'delete', 'insert', 'replace', 'caps'] as const;
export type Action = (typeof ACTIONS)[number];
const UPDATE_ACTIONS: readonly string[] = ['put', 'insert', 'replace'];

export interface CliFlags {
  readonly xcapRoot?: string;
  readonly sipAddress?: string;
  readonly password?: string;
  readonly app?: string;
  readonly filename?: string;
  readonly context?: string;
  readonly etag?: string;
  readonly ifNoneMatch?: string;
  readonly addHeader?: readonly string[];
  /** -i */
  readonly input?: string;
  /** -o */
  readonly output?: string;
  readonly accountName?: string;
  readonly auth?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly insecure?: boolean;
  readonly ns?: readonly string[];
  readonly timeout?: string;
  readonly xui?: string;
  readonly showConfig?: boolean;
}

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly promptPassword: (question: string) => Promise<string>;
}

/** A mistake in the command; exit 1 like python-xcaplib's sys.exit(message). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

interface Settings {
  readonly xcapRoot: string;
  readonly sipAddress: string;
  password: string | undefined;
  readonly auth: AuthMode | undefined;
  readonly configFile: string;
}

const apps = new ApplicationTable();

export async function runXcapclient(actionArg: string | undefined, selectorArg: string | undefined, flags: CliFlags, io: CliIo): Promise<number> {
  const json = flags.json === true;
  const say = (line: string) => {
    if (!json) io.stderr.write(`${line}\n`);
  };
  let action: Action | undefined;
  let url = '';
  try {
    const settings = loadSettings(flags, io.env);
    if (flags.showConfig) {
      io.stdout.write(`Configuration file: ${settings.configFile}\n[${sectionName(flags.accountName)}]\n`);
      io.stdout.write(`sip_address = ${settings.sipAddress}\nxcap_root = ${settings.xcapRoot}\npassword = ${settings.password === undefined ? '' : '********'}\n`);
      return 0;
    }
    if (actionArg === undefined) throw new CliError(`Please provide ACTION: one of ${ACTIONS.join(', ')}.`);
    const lowered = actionArg.toLowerCase();
    if (!(ACTIONS as readonly string[]).includes(lowered)) throw new CliError(`ACTION must be one of ${ACTIONS.join(', ')}, not '${actionArg}'.`);
    action = lowered as Action;
    if (action === 'caps' && selectorArg !== undefined) throw new CliError('caps takes no node selector');

    const input = UPDATE_ACTIONS.includes(action) ? await readInput(flags.input, io) : undefined;
    const selector = selectorArg === undefined ? null : parseSelectorArg(selectorArg, flags.ns);
    const app = action === 'caps' ? apps.resolve('xcap-caps') : chooseApp(flags.app, selector, input, flags.input);
    const options = operationOptions(flags, app);

    let client = makeClient(settings, flags, io);
    url = client.url(app.auid, selector, options);
    say(`${action} ${url}`);
    const perform = (c: XcapClient) => perform1(c, action!, app, selector, input, options);
    let outcome: Outcome;
    try {
      outcome = await perform(client);
    } catch (e) {
      // python-xcaplib asks for the password only once the server wants one, and only on a terminal.
      if (!(e instanceof UnauthorizedError) || e.credentialsSent || settings.password !== undefined || !canPrompt(flags, action, io)) throw e;
      client.close();
      settings.password = await io.promptPassword(`Password (${realmOf(e.challenges) ?? 'server'}): `);
      client = makeClient(settings, flags, io);
      outcome = await perform(client);
    } finally {
      client.close();
    }
    return report(outcome, action, url, flags, io);
  } catch (e) {
    return reportFailure(e, action, url, flags, io);
  }
}

/** `--complete-selector`: the selectors continuing `partial` in the document the other flags name. Prints nothing on failure. */
export async function completeSelector(partial: string, flags: CliFlags, io: CliIo): Promise<number> {
  const typed = partial.replace(/^\/+/, '');
  const firstStep = typed.split('/')[0] ?? '';
  if (flags.app === undefined && !typed.includes('/')) {
    const roots = new Set(apps.list().flatMap((a) => (a.rootElement ? [`/${a.rootElement}`, `/${a.rootElement}/`] : [])));
    for (const r of [...roots].sort()) if (r.startsWith(`/${typed}`)) io.stdout.write(`${r}\n`);
    return 0;
  }
  try {
    const settings = loadSettings(flags, io.env);
    const app = flags.app !== undefined ? apps.resolve(flags.app) : apps.guessByRoot(stepLocalName(firstStep));
    if (app === undefined) return 1;
    const client = makeClient(settings, { ...flags, verbose: false }, io);
    try {
      const result = await client.getDocument(app.auid, operationOptions({ ...flags, etag: undefined, ifNoneMatch: undefined }, app));
      if (result.body === null) return 1;
      for (const c of childSelectors(result.body, `/${typed}`, app.namespace)) io.stdout.write(`${c}\n`);
      return 0;
    } finally {
      client.close();
    }
  } catch {
    return 1;
  }
}

// ---- settings ---------------------------------------------------------------

function loadSettings(flags: CliFlags, env: NodeJS.ProcessEnv): Settings {
  const configFile = configFilePath(env);
  let account;
  try {
    account = readAccount(configFile, flags.accountName);
  } catch (e) {
    if (e instanceof ConfigFileError) throw new CliError(e.message);
    throw e;
  }
  const xcapRoot = flags.xcapRoot || account.xcap_root;
  const sipAddress = flags.sipAddress || account.sip_address;
  if (!xcapRoot) throw new CliError(`Please specify XCAP root with --xcap-root. You can also put the default root in ${configFile}.`);
  if (!sipAddress) throw new CliError(`Please specify --sip-address. You can also put the default sip_address in ${configFile}.`);
  const auth = flags.auth ?? account.auth;
  if (auth !== undefined && !['auto', 'digest', 'basic', 'none'].includes(auth.toLowerCase())) {
    throw new CliError(`--auth must be digest, basic, auto or none, not '${auth}'`);
  }
  return {
    xcapRoot,
    sipAddress,
    password: flags.password ?? account.password,
    auth: auth === undefined ? undefined : (auth.toLowerCase() as AuthMode),
    configFile,
  };
}

function makeClient(settings: Settings, flags: CliFlags, io: CliIo): XcapClient {
  let timeoutMs = 30_000;
  if (flags.timeout !== undefined) {
    const seconds = Number(flags.timeout);
    if (!(seconds > 0)) throw new CliError(`--timeout must be a number of seconds, not '${flags.timeout}'`);
    timeoutMs = seconds * 1000;
  }
  const auth = settings.auth ?? (settings.password === undefined ? undefined : 'auto');
  return new XcapClient({
    xcapRoot: settings.xcapRoot,
    user: settings.sipAddress,
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(auth === undefined ? {} : { auth }),
    timeoutMs,
    ...(flags.insecure ? { tls: { rejectUnauthorized: false } } : {}),
    ...(flags.verbose ? { onExchange: (x: HttpExchange) => io.stderr.write(describeExchange(x)) } : {}),
  });
}

function operationOptions(flags: CliFlags, app: ApplicationInfo): OperationOptions {
  let tree = app.defaultTree;
  if (flags.context !== undefined) {
    if (flags.context !== 'users' && flags.context !== 'global') throw new CliError(`Context must be either 'global' or 'users', not '${flags.context}'.`);
    tree = flags.context;
  }
  if (flags.xui !== undefined && tree === 'global') throw new CliError('--xui names a user; it cannot be combined with -c global');
  const headers: Record<string, string> = {};
  for (const h of flags.addHeader ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new CliError(`--add-header expects 'Name: value', not '${h}'`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return {
    tree,
    ...(flags.filename === undefined ? {} : { document: flags.filename }),
    ...(flags.xui === undefined ? {} : { xui: flags.xui }),
    ...(flags.etag === undefined ? {} : { etag: flags.etag }),
    ...(flags.ifNoneMatch === undefined ? {} : { ifNoneMatch: flags.ifNoneMatch }),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
}

function parseSelectorArg(text: string, ns: readonly string[] | undefined): ResolvedSelector {
  const namespaces: Record<string, string> = {};
  for (const binding of ns ?? []) {
    const eq = binding.indexOf('=');
    if (eq <= 0) throw new CliError(`--ns expects PREFIX=NAMESPACE, not '${binding}'`);
    namespaces[binding.slice(0, eq)] = binding.slice(eq + 1);
  }
  return resolveSelector(text, namespaces);
}

function stepLocalName(step: string): string {
  const name = step.split('[', 1)[0] ?? '';
  return name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
}

function chooseApp(flag: string | undefined, selector: ResolvedSelector | null, input: Buffer | undefined, inputName: string | undefined): ApplicationInfo {
  if (flag !== undefined) return apps.resolve(flag);
  if (selector !== null) {
    const root = stepLocalName(selector.text.split('/', 1)[0] ?? '');
    const app = apps.guessByRoot(root);
    if (!app) throw new CliError(`Please specify --app. Root element '${root}' gives no clue (known: ${apps.list().map((a) => a.auid).join(', ')}).`);
    return app;
  }
  if (input !== undefined) {
    const where = inputName === undefined || inputName === '-' ? '<stdin>' : inputName;
    let root;
    try {
      root = parseXmlDocument(input.toString('utf8')).root;
    } catch (e) {
      throw new CliError(`Please specify --app. Cannot read the root element of ${where}: ${(e as Error).message}`);
    }
    const app = apps.guessByRoot(root.localName, root.namespace);
    if (!app) throw new CliError(`Please specify --app. Root element '${root.localName}' in ${where} gives no clue.`);
    return app;
  }
  throw new CliError('Please specify --app or NODE-SELECTOR.');
}

async function readInput(file: string | undefined, io: CliIo): Promise<Buffer> {
  if (file !== undefined && file !== '-') {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new CliError(`cannot read the input file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  if (io.stdin.isTTY) io.stderr.write('Reading PUT body from stdin. Type CTRL-D when done\n');
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function canPrompt(flags: CliFlags, action: Action, io: CliIo): boolean {
  const stdinIsBody = UPDATE_ACTIONS.includes(action) && (flags.input === undefined || flags.input === '-');
  return io.stdin.isTTY === true && !stdinIsBody && flags.json !== true;
}

function realmOf(challenges: readonly string[]): string | null {
  for (const c of challenges) {
    const m = /realm="([^"]*)"/i.exec(c);
    if (m) return `realm=${m[1]}`;
  }
  return null;
}

// ---- performing ---------------------------------------------------------------

type Outcome =
  | { readonly kind: 'get'; readonly result: GetResult; readonly value: string | null }
  | { readonly kind: 'write'; readonly result: WriteResult }
  | { readonly kind: 'caps'; readonly result: Awaited<ReturnType<XcapClient['capabilities']>>; readonly url: string };

async function perform1(
  client: XcapClient,
  action: Action,
  app: ApplicationInfo,
  selector: ResolvedSelector | null,
  input: Buffer | undefined,
  options: OperationOptions,
): Promise<Outcome> {
  const auid = app.auid;
  // An attribute body is the value; a quoted AttValue in the file is taken as that value.
  const content = selector?.kind === 'attribute' && input !== undefined ? attributeValueOf(input.toString('utf8').replace(/\r?\n$/, '')) : input;
  switch (action) {
    case 'get': {
      const result = await client.get(auid, selector, options);
      const value = selector?.kind === 'attribute' && result.body !== null ? attributeValueOf(result.body) : null;
      return { kind: 'get', result, value };
    }
    case 'delete':
      return { kind: 'write', result: await client.delete(auid, selector, options) };
    case 'put':
      return { kind: 'write', result: await client.put(auid, selector, content!, options) };
    case 'insert':
      return { kind: 'write', result: await client.insert(auid, selector, content!, options) };
    case 'replace':
      return { kind: 'write', result: await client.replace(auid, selector, content!, options) };
    case 'caps':
      return { kind: 'caps', result: await client.capabilities(options), url: client.url('xcap-caps', null, options) };
  }
}

// ---- reporting ------------------------------------------------------------------

function report(outcome: Outcome, action: Action, url: string, flags: CliFlags, io: CliIo): number {
  const json = flags.json === true;
  const say = (line: string) => {
    if (!json) io.stderr.write(`${line}\n`);
  };
  if (outcome.kind === 'caps') {
    const caps = outcome.result;
    if (caps.etag) say(`etag: ${caps.etag}`);
    if (json) {
      writeJson(io, { action, url, status: 200, etag: caps.etag, auids: caps.auids, extensions: caps.extensions, namespaces: caps.namespaces });
    } else {
      const list = (title: string, items: readonly string[]) => `${title}:\n${items.map((i) => `  ${i}\n`).join('')}`;
      writeBody(list('auids', caps.auids) + list('extensions', caps.extensions) + list('namespaces', caps.namespaces), flags, io);
    }
    return 0;
  }
  const r = outcome.result;
  const exit = r.status >= 200 && r.status < 300 ? 0 : 3;
  if (!(r.status === 200 && action === 'get')) say(`${r.status} ${r.statusText}`);
  if (r.etag) say(`etag: ${r.etag}`);
  if (outcome.kind === 'get') {
    const res = outcome.result;
    const body = outcome.value ?? (res.notModified ? null : res.body);
    if (json) {
      writeJson(io, {
        action,
        url,
        status: res.status,
        statusText: res.statusText,
        etag: res.etag,
        notModified: res.notModified,
        contentType: res.contentType,
        ...(res.notModified ? {} : { body: res.body }),
        ...(outcome.value === null ? {} : { value: outcome.value }),
      });
      if (flags.output !== undefined && body !== null) writeFileSync(flags.output, body);
      return exit;
    }
    if (!res.notModified) {
      if (res.contentType) say(`content-type: ${res.contentType}`);
      if (body !== null && body !== '') {
        say(`content-length: ${Buffer.byteLength(body)}`);
        writeBody(body, flags, io);
      }
    }
    return exit;
  }
  if (json) writeJson(io, { action, url, status: r.status, statusText: r.statusText, etag: r.etag, created: outcome.result.created });
  return exit;
}

function writeBody(data: string, flags: CliFlags, io: CliIo): void {
  if (flags.output !== undefined) {
    writeFileSync(flags.output, data);
    io.stderr.write(`${Buffer.byteLength(data)} bytes saved to ${flags.output}\n`);
    return;
  }
  io.stdout.write(data);
  // As python-xcaplib: the terminal gets its newline, stdout keeps the exact body.
  if (data !== '' && !data.endsWith('\n')) io.stderr.write('\n');
}

function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function reportFailure(e: unknown, action: Action | undefined, url: string, flags: CliFlags, io: CliIo): number {
  const { line, exit } = describeFailure(e, action, flags, io.env);
  io.stderr.write(`${line}\n`);
  if (flags.json === true) {
    const error: Record<string, unknown> = { type: e instanceof Error ? e.name : 'Error', message: line };
    if (e instanceof XcapClientError) error.status = e.status;
    if (e instanceof ConflictError) error.detail = e.detail;
    writeJson(io, { action: action ?? null, url: url || null, error });
  } else if (e instanceof ConflictError && e.body !== '') {
    // The xcap-error document, as python-xcaplib prints it, for scripts that read it.
    if (flags.output !== undefined) writeFileSync(flags.output, e.body);
    else io.stdout.write(e.body.endsWith('\n') ? e.body : `${e.body}\n`);
  }
  if (e instanceof XcapClientError && e.etag && flags.json !== true) io.stderr.write(`etag: ${e.etag}\n`);
  return exit;
}

function describeFailure(e: unknown, action: Action | undefined, flags: CliFlags, env: NodeJS.ProcessEnv): { line: string; exit: number } {
  const status = (err: XcapClientError) => `${err.status} ${err.statusText}`.trim();
  if (e instanceof CliError || e instanceof SelectorError || e instanceof ClientConfigError || e instanceof UsageError) {
    return { line: `xcapclient: ${e instanceof UsageError ? e.reason : e.message}`, exit: 1 };
  }
  if (e instanceof NetworkError) return { line: `xcapclient: ${e.reason}`, exit: 1 };
  if (e instanceof AlreadyExistsError) return { line: `xcapclient: ${action ?? 'insert'}: ${e.reason}`, exit: 3 };
  if (e instanceof UnauthorizedError) {
    const hint = e.credentialsSent
      ? `check the password and --sip-address`
      : `give the password with -p, or as password= in [${sectionName(flags.accountName)}] of ${configFilePath(env)}`;
    return { line: `${status(e)}: ${e.reason}; ${hint}`, exit: 3 };
  }
  // Found by the client's own check before writing (replace of nothing, a malformed answer).
  if (e instanceof XcapClientError && e.status === null) return { line: `xcapclient: ${action === undefined ? '' : `${action}: `}${e.reason}`, exit: action === undefined ? 1 : 3 };
  if (e instanceof ForbiddenError) return { line: `${status(e)}: ${e.reason} (the account may not access this document)`, exit: 3 };
  if (e instanceof NotFoundError) return { line: `${status(e)}: ${e.reason}`, exit: 3 };
  if (e instanceof PreconditionFailedError) {
    return { line: `${status(e)}: ${e.reason} (the document changed, or the condition given with --etag / --if-none-match does not hold)`, exit: 3 };
  }
  if (e instanceof UnsupportedMediaTypeError) return { line: `${status(e)}: ${e.reason} (check --app: it decides the Content-Type)`, exit: 3 };
  if (e instanceof XcapClientError) return { line: `${status(e)}: ${e.reason}`, exit: 3 };
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'ENOENT' || err?.code === 'EISDIR') return { line: `xcapclient: ${err.message}`, exit: 1 };
  if (env.XCAPCLIENT_DEBUG) return { line: `xcapclient: internal error: ${err?.stack ?? String(e)}`, exit: 1 };
  return { line: `xcapclient: internal error: ${err?.message ?? String(e)} (set XCAPCLIENT_DEBUG=1 for details)`, exit: 1 };
}

function describeExchange(x: HttpExchange): string {
  const lines: string[] = [`> ${x.request.method} ${x.request.target}`];
  for (const [k, v] of Object.entries(x.request.headers)) lines.push(`> ${k}: ${k.toLowerCase() === 'authorization' && /^basic /i.test(v) ? 'Basic <hidden>' : v}`);
  if (x.request.body !== undefined) lines.push(`> (${x.request.body.length} bytes)`);
  if (x.response) {
    lines.push(`< ${x.response.status} ${x.response.statusText} (${Math.round(x.durationMs)} ms)`);
    for (const [k, values] of Object.entries(x.response.headersDistinct)) for (const v of values) lines.push(`< ${k}: ${v}`);
    if (x.response.body !== '') lines.push(`< (${Buffer.byteLength(x.response.body)} bytes)`);
  } else {
    lines.push(`< no answer: ${x.error?.message ?? 'unknown error'} (${Math.round(x.durationMs)} ms)`);
  }
  return `${lines.join('\n')}\n`;
}
