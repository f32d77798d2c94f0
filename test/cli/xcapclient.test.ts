/**
 * xcapclient as a user runs it: a child process against a real xcapd, settings from
 * a temporary config file ($XCAPCLIENT_CONFIG).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'src/cli/xcapclient.ts');
/**
 * Starting through tsx costs ~0.6 s a run; the same source bundled by tsx's own
 * esbuild starts in ~0.15 s. The bundle sits in node_modules/.cache so that it
 * resolves the same packages (and ../../package.json) as the source does.
 */
const BUNDLE = join(REPO, 'node_modules', '.cache', `xcapclient-test-${process.pid}.mjs`);
let command: string[] = ['--import', 'tsx', CLI];

function bundle(): void {
  const built = spawnSync(join(REPO, 'node_modules', '.bin', 'esbuild'), [CLI, '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${BUNDLE}`, '--log-level=error'], {
    timeout: 30_000,
    encoding: 'utf8',
  });
  if (built.status === 0) command = [BUNDLE];
}
const RL = 'urn:ietf:params:xml:ns:resource-lists';
const LIST = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
    <entry uri="sip:bill@example.com"><display-name>Bill Doe</display-name></entry>
  </list>
</resource-lists>
`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('xcapclient', () => {
  let server: TestServer;
  let dir: string;
  let config: string;
  let listFile: string;

  const run = (args: readonly string[], options: { stdin?: string; config?: string; env?: Record<string, string>; viaTsx?: boolean } = {}): Promise<Run> =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [...(options.viaTsx ? ['--import', 'tsx', CLI] : command), ...args], {
        cwd: REPO,
        env: { ...process.env, XCAPCLIENT_CONFIG: options.config ?? config, ...(options.env ?? {}) },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr });
      });
      child.stdin.end(options.stdin ?? '');
    });
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  const noStackTrace = (r: Run) => assert.doesNotMatch(r.stderr, /^\s+at /m, r.stderr);
  const docUrl = () => `${server.rootUrl}/resource-lists/users/sip:alice@example.com/index`;

  before(async () => {
    bundle();
    server = await startTestServer({ auth: 'digest', defaultRealm: 'example.com' });
    dir = mkdtempSync(join(tmpdir(), 'xcapclient-test-'));
    config = join(dir, 'xcapclient.ini');
    writeFileSync(
      config,
      [
        '# test accounts',
        '[Account]',
        'sip_address = alice@example.com',
        'password = alice-secret',
        `xcap_root = ${server.rootUrl}`,
        '',
        '[Account_bob]',
        'sip_address: bob@example.com',
        'password: bob-secret',
        `xcap_root: ${server.rootUrl}`,
        '',
        '[Account_admin]',
        'sip_address = admin@example.com',
        'password = admin-secret',
        `xcap_root = ${server.rootUrl}`,
        '',
        '[Account_nopass]',
        'sip_address = alice@example.com',
        `xcap_root = ${server.rootUrl}`,
        '',
      ].join('\n'),
    );
    listFile = join(dir, 'list.xml');
    writeFileSync(listFile, LIST);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(BUNDLE, { force: true });
  });

  test('put, get and delete a whole document: python-xcaplib\'s output and exit codes', async () => {
    const put = await run(['-i', listFile, 'put']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, '');
    const [progress, status, etag] = lines(put.stderr);
    assert.equal(progress, `put ${docUrl()}`);
    assert.equal(status, '201 Created');
    assert.match(etag!, /^etag: "[^"]+"$/);

    const get = await run(['--app', 'resource-lists', 'get']);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, LIST);
    assert.deepEqual(lines(get.stderr), [`get ${docUrl()}`, etag, 'content-type: application/resource-lists+xml', `content-length: ${Buffer.byteLength(LIST)}`]);

    const again = await run(['-i', listFile, 'put']);
    assert.equal(lines(again.stderr)[1], '200 OK');

    const del = await run(['--app', 'resource-lists', 'delete']);
    assert.equal(del.code, 0);
    assert.equal(lines(del.stderr)[1], '200 OK');
    const gone = await run(['--app', 'resource-lists', 'get']);
    assert.equal(gone.code, 3);
    assert.match(lines(gone.stderr)[1]!, /^404 Not Found: /);
    noStackTrace(gone);
  });

  test('elements and attributes: the app is guessed from the selector; insert, replace, attribute values printed plain', async () => {
    await run(['-i', listFile, 'put']);
    const [element, attribute] = await Promise.all([
      run(['get', '/resource-lists/list[@name="friends"]/entry[1]/display-name']),
      run(['get', '/resource-lists/list[@name="friends"]/entry[1]/@uri']),
    ]);
    assert.equal(element.code, 0, element.stderr);
    assert.equal(element.stdout, '<display-name>Bill Doe</display-name>');
    assert.match(element.stderr, /content-type: application\/xcap-el\+xml/);
    assert.equal(attribute.code, 0, attribute.stderr);
    assert.equal(attribute.stdout, 'sip:bill@example.com');

    const carol = '/resource-lists/list[@name="friends"]/entry[@uri="sip:carol@example.com"]';
    const inserted = await run(['insert', carol], { stdin: '<entry uri="sip:carol@example.com"/>' });
    assert.equal(inserted.code, 0, inserted.stderr);
    assert.equal(lines(inserted.stderr)[1], '201 Created');
    const twice = await run(['insert', carol], { stdin: '<entry uri="sip:carol@example.com"/>' });
    assert.equal(twice.code, 3);
    assert.equal(lines(twice.stderr).length, 2, twice.stderr);
    assert.match(lines(twice.stderr)[1]!, /^xcapclient: insert: .* already selects a node \(use put or replace/);

    const replaced = await run(['replace', carol], { stdin: '<entry uri="sip:carol@example.com"><display-name>Carol</display-name></entry>' });
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(lines(replaced.stderr)[1], '200 OK');
    const absent = await run(['replace', '/resource-lists/list[@name="friends"]/entry[@uri="sip:zed@example.com"]'], { stdin: '<entry uri="sip:zed@example.com"/>' });
    assert.equal(absent.code, 3);
    assert.match(lines(absent.stderr)[1]!, /^xcapclient: replace: .* selects nothing to replace \(use put or insert/);

    const setName = await run(['put', '/resource-lists/list/@name'], { stdin: 'best "friends" & co\n' });
    assert.equal(setName.code, 0, setName.stderr);
    const name = await run(['get', '/resource-lists/list/@name']);
    assert.equal(name.stdout, 'best "friends" & co');

    const removed = await run(['delete', '/resource-lists/list/entry[@uri="sip:carol@example.com"]']);
    assert.equal(removed.code, 0, removed.stderr);
    const doc = await run(['--app', 'resource-lists', 'get']);
    assert.doesNotMatch(doc.stdout, /carol/);
  });

  test('-o writes the body to a file; --json prints one JSON object', async () => {
    await run(['-i', listFile, 'put']);
    const out = join(dir, 'out.xml');
    const [saved, json] = await Promise.all([run(['--app', 'resource-lists', 'get', '-o', out]), run(['--json', 'get', '/resource-lists/list/@name'])]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(saved.stdout, '');
    assert.equal(readFileSync(out, 'utf8'), LIST);
    assert.match(saved.stderr, new RegExp(`${Buffer.byteLength(LIST)} bytes saved to ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(parsed.status, 200);
    assert.equal(parsed.value, 'friends');
    assert.equal(parsed.body, '"friends"');
    assert.equal(json.stderr, '');
  });

  test('caps, accounts, the global tree, an app guessed from the input document', async () => {
    const presRules = join(dir, 'pres-rules.xml');
    writeFileSync(presRules, '<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"/>\n');
    const [caps, bob, global, guessed, missingSection, shown] = await Promise.all([
      run(['caps']),
      run(['-a', 'bob', '--xui', 'alice@example.com', '--app', 'resource-lists', 'get']),
      run(['-a', 'admin', '-c', 'global', '--filename', 'shared', '-i', listFile, 'put']),
      run(['-i', presRules, 'put']),
      run(['-a', 'nope', 'caps']),
      run(['-a', 'bob', '--show-config']),
    ]);
    assert.equal(shown.code, 0);
    assert.equal(shown.stdout, `Configuration file: ${config}\n[Account_bob]\nsip_address = bob@example.com\nxcap_root = ${server.rootUrl}\npassword = ********\n`);
    assert.equal(caps.code, 0, caps.stderr);
    assert.match(caps.stdout, /^auids:\n {2}xcap-caps\n/);
    assert.match(caps.stdout, /namespaces:\n(?: {2}.*\n)* {2}urn:ietf:params:xml:ns:xcap-caps\n/);
    assert.equal(lines(caps.stderr)[0], `caps ${server.rootUrl}/xcap-caps/global/index`);

    assert.equal(bob.code, 3);
    assert.match(lines(bob.stderr)[1]!, /^403 Forbidden: .*bob@example.com may not/);

    assert.equal(global.code, 0, global.stderr);
    assert.equal(lines(global.stderr)[0], `put ${server.rootUrl}/resource-lists/global/shared`);

    assert.equal(guessed.code, 0, guessed.stderr);
    assert.equal(lines(guessed.stderr)[0], `put ${server.rootUrl}/pres-rules/users/sip:alice@example.com/index`);

    assert.equal(missingSection.code, 1);
    assert.match(missingSection.stderr, /^xcapclient: section \[Account_nope\] was not found in /);
  });

  test('conditions: --etag is If-Match, --if-none-match gives 304; --add-header and --verbose show the exchange', async () => {
    const put = await run(['-i', listFile, 'put']);
    const etag = /^etag: (.*)$/m.exec(put.stderr)?.[1];
    assert.ok(etag);
    const [stale, notModified, verbose] = await Promise.all([
      run(['--etag', '"stale"', '-i', listFile, 'put']),
      run(['--if-none-match', etag, '--app', 'resource-lists', 'get']),
      run(['--verbose', '--add-header', 'X-Test: yes', '--app', 'resource-lists', 'get']),
    ]);
    assert.equal(stale.code, 3);
    assert.match(lines(stale.stderr)[1]!, /^412 Precondition Failed: /);
    assert.equal(notModified.code, 3);
    assert.equal(lines(notModified.stderr)[1], '304 Not Modified');
    assert.equal(notModified.stdout, '');
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /^> X-Test: yes$/m);
    assert.match(verbose.stderr, /^< 401 Unauthorized/m);
    assert.match(verbose.stderr, /^> Authorization: Digest username="alice"/m);
    assert.match(verbose.stderr, /^< 200 OK/m);
  });

  test('mistakes get one clear line and the documented exit code', async () => {
    const emptyConfig = join(dir, 'empty.ini');
    writeFileSync(emptyConfig, '');
    const port = await new Promise<number>((r) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const [wrongPassword, noPassword, unreachable, unknownOption, badSelector, noRoot, badAction, noApp, conflict, noArgs] = await Promise.all([
      run(['-p', 'wrong', '--app', 'resource-lists', 'get']),
      run(['-a', 'nopass', '--app', 'resource-lists', 'get']),
      run(['--xcap-root', `http://127.0.0.1:${port}/xcap-root`, '--app', 'resource-lists', 'get']),
      run(['--frobnicate', 'get']),
      run(['get', '/resource-lists/list[@name=friends]']),
      run(['--app', 'resource-lists', 'get'], { config: emptyConfig }),
      run(['fetch']),
      run(['get']),
      run(['put', '/resource-lists/list[@name="nope"]/entry'], { stdin: '<entry uri="sip:x@example.com"/>' }),
      run([]),
    ]);
    for (const r of [wrongPassword, noPassword, unreachable, unknownOption, badSelector, noRoot, badAction, noApp, conflict, noArgs]) noStackTrace(r);

    assert.equal(wrongPassword.code, 3);
    assert.equal(lines(wrongPassword.stderr).length, 2, wrongPassword.stderr);
    assert.match(lines(wrongPassword.stderr)[1]!, /^401 Unauthorized: the server refused the credentials of 'alice' .*; check the password/);

    assert.equal(noPassword.code, 3, 'stdin is not a terminal: no prompt');
    assert.equal(lines(noPassword.stderr).length, 2, noPassword.stderr);
    assert.match(lines(noPassword.stderr)[1]!, /^401 Unauthorized: the server asks for a password and none was given; give the password with -p, or as password= in \[Account_nopass\]/);

    assert.equal(unreachable.code, 1);
    assert.match(lines(unreachable.stderr)[1]!, /^xcapclient: cannot connect to http:\/\/127\.0\.0\.1:\d+: connection refused/);

    assert.equal(unknownOption.code, 2, 'optparse exits 2 on a syntax error');
    assert.deepEqual(lines(unknownOption.stderr), ["xcapclient: error: unknown option '--frobnicate' (see xcapclient --help)"]);

    assert.equal(badSelector.code, 1);
    assert.deepEqual(lines(badSelector.stderr), [
      "xcapclient: invalid node selector 'resource-lists/list[@name=friends]' at character 27: the attribute value must be quoted with \" or '",
    ]);

    assert.equal(noRoot.code, 1);
    assert.match(noRoot.stderr, /^xcapclient: Please specify XCAP root with --xcap-root\. You can also put the default root in .*empty\.ini\.\n$/);
    assert.equal(badAction.code, 1);
    assert.match(badAction.stderr, /ACTION must be one of get, put, delete, insert, replace, caps, not 'fetch'/);
    assert.equal(noApp.code, 1);
    assert.match(noApp.stderr, /Please specify --app or NODE-SELECTOR/);

    assert.equal(conflict.code, 3);
    assert.match(lines(conflict.stderr)[1]!, /^409 Conflict: no-parent: .*\(closest existing ancestor: http:/);
    assert.match(conflict.stdout, /<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><no-parent/);

    assert.equal(noArgs.code, 1);
    assert.equal(noArgs.stderr, 'Type xcapclient -h for help.\n');
  });

  test('on a terminal, a missing password is asked for once the server wants one, without echo', async () => {
    await run(['-i', listFile, 'put']);
    // `script` gives the CLI a pseudo-terminal; the password is typed once the prompt shows.
    const child = spawn('script', ['-qec', `${[process.execPath, ...command].map(shellQuote).join(' ')} -a nopass --app resource-lists get`, '/dev/null'], {
      cwd: REPO,
      env: { ...process.env, XCAPCLIENT_CONFIG: config },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let typed = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (!typed && out.includes('Password (realm=example.com): ')) {
        typed = true;
        child.stdin.write('alice-secret\r');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(timer);
    assert.equal(code, 0, out);
    assert.ok(typed, out);
    assert.ok(out.includes('<display-name>Bill Doe</display-name>'), out);
    assert.ok(!out.includes('alice-secret'), 'the password is not echoed');
  });

  test('help and version, through the real entry point (tsx)', async () => {
    const [help, version] = await Promise.all([run(['--help'], { viaTsx: true }), run(['--version'], { viaTsx: true })]);
    assert.equal(help.code, 0);
    for (const flag of ['--xcap-root', '--sip-address', '-p, --password', '--app', '--filename', '-c, --context', '--etag', '--if-none-match', '--add-header', '-i <file>', '-o <file>', '-a, --account-name', '--auth', '--json', '--verbose', '--insecure', '--completion']) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('completion: scripts for bash and zsh, node selectors from the server', async () => {
    await run(['-i', listFile, 'put']);
    const [bash, zsh, selectors, roots] = await Promise.all([
      run(['--completion', 'bash']),
      run(['--completion', 'zsh']),
      run(['get', '--complete-selector', '/resource-lists/list[@name="friends"]/']),
      run(['get', '--complete-selector', '/r']),
    ]);
    assert.equal(bash.code, 0);
    assert.match(bash.stdout, /^complete -F _xcapclient xcapclient$/m);
    assert.ok(bash.stdout.includes('org.openmobilealliance.pres-rules'));
    assert.equal(zsh.code, 0);
    assert.match(zsh.stdout, /^#compdef xcapclient/);
    assert.ok(zsh.stdout.includes('--complete-selector'));
    assert.equal(spawnSync('bash', ['-n'], { input: bash.stdout }).status, 0, 'the bash script parses');

    assert.equal(selectors.code, 0, selectors.stderr);
    assert.deepEqual(lines(selectors.stdout), [
      '/resource-lists/list[@name="friends"]/@name',
      '/resource-lists/list[@name="friends"]/entry',
      '/resource-lists/list[@name="friends"]/entry/',
      '/resource-lists/list[@name="friends"]/entry[@uri="sip:bill@example.com"]',
      '/resource-lists/list[@name="friends"]/entry[@uri="sip:bill@example.com"]/',
      '/resource-lists/list[@name="friends"]/namespace::*',
    ]);
    assert.deepEqual(lines(roots.stdout), ['/resource-lists', '/resource-lists/', '/rls-services', '/rls-services/', '/ruleset', '/ruleset/']);

    // The bash function itself, as bash runs it on <TAB>.
    const wrapper = join(dir, 'xcapclient');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" ${command.map((c) => `"${c}"`).join(' ')} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const script = join(dir, 'xcapclient.bash');
    writeFileSync(script, bash.stdout);
    // Asynchronously: the server answering the completion runs in this process.
    const complete = (line: string) =>
      new Promise<string>((done, fail) => {
        const child = spawn('bash', ['-c', `source ${shellQuote(script)}; COMP_LINE=${shellQuote(line)}; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=(x); COMP_CWORD=1; _xcapclient; printf '%s\\n' "\${COMPREPLY[@]}"`], {
          cwd: REPO,
          env: { ...process.env, XCAPCLIENT_CONFIG: config },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', fail);
        child.on('close', () => {
          clearTimeout(timer);
          done(out);
        });
      });
    assert.deepEqual(lines(await complete(`${wrapper} --app res`)), ['resource-lists']);
    assert.deepEqual(lines(await complete(`${wrapper} --app resource-lists ge`)), ['get']);
    assert.deepEqual(lines(await complete(`${wrapper} -c `)), ['users', 'global']);
    assert.deepEqual(lines(await complete(`${wrapper} get '/resource-lists/list[@name="friends"]/entry[@u`)), [
      '/resource-lists/list[@name="friends"]/entry[@uri="sip:bill@example.com"]',
      '/resource-lists/list[@name="friends"]/entry[@uri="sip:bill@example.com"]/',
    ]);
    assert.deepEqual(lines(await complete(`${wrapper} get /resource-lists/list/en`)), ["'/resource-lists/list/entry'", "'/resource-lists/list/entry/'", `'/resource-lists/list/entry[@uri="sip:bill@example.com"]'`, `'/resource-lists/list/entry[@uri="sip:bill@example.com"]/'`]);
  });
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
