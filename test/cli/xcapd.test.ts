import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { basic, rawRequest } from '../helpers/xcapd.js';

const CLI = join(import.meta.dirname, '../../src/cli/xcapd.ts');

function xcapd(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Starts `xcapd serve` and resolves with its root URL once it logs the startup line. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`xcapd did not start: ${lines.join('\n')}`));
    }, 20_000);
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const url = (JSON.parse(line) as { url?: string }).url;
        if (url) {
          clearTimeout(timer);
          resolve({ child, url, lines });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`xcapd exited with ${code}: ${lines.join('\n')}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('xcapd command line', () => {
  let dir: string;
  let db: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xcapd-cli-'));
    db = join(dir, 'x.sqlite');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('user add, list, passwd, remove', () => {
    assert.match(xcapd(['user', 'add', 'sip:alice@example.com', '--password', 'pw1', '--database', db]).stdout, /added alice@example.com, realm example.com/);
    const dup = xcapd(['user', 'add', 'alice@example.com', '--password', 'pw1', '--database', db]);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /^xcapd: user alice@example.com exists already/);
    assert.match(xcapd(['user', 'add', 'root@example.com', '--password', 'pw', '--admin', '--database', db]).stdout, /\(admin\)/);
    assert.match(xcapd(['user', 'list', '--database', db]).stdout, /alice@example.com\trealm=example.com\nroot@example.com\trealm=example.com\tadmin/);
    assert.equal(xcapd(['user', 'passwd', 'alice@example.com', '--password', 'pw2', '--database', db]).code, 0);
    assert.equal(xcapd(['user', 'remove', 'root@example.com', '--database', db]).code, 0);
    const missing = xcapd(['user', 'remove', 'root@example.com', '--database', db]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim(), 'xcapd: no user root@example.com');
  });

  test('mistakes are one line and a non-zero exit', () => {
    const bad = xcapd(['serve', '--auth', 'kerberos', '--database', db]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length <= 2, true, bad.stderr);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
    const env = xcapd(['user', 'list', '--database', db], { XCAPD_AUTH: 'nope' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /XCAPD_AUTH/);
    const badId = xcapd(['user', 'add', 'not a user', '--password', 'x', '--database', db]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /is not a user id/);
    const config = join(dir, 'bad.json');
    writeFileSync(config, '{"listen": 8080, "colour": "blue"}');
    const cfg = xcapd(['user', 'list', '--config', config]);
    assert.equal(cfg.code, 2);
    assert.match(cfg.stderr, /config file/);
  });

  test('serve over HTTPS with a config file and environment, and stop cleanly on SIGTERM', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore', timeout: 30_000 });
    const config = join(dir, 'xcapd.json');
    writeFileSync(config, JSON.stringify({ root: '/xcap', tlsCert: cert, tlsKey: key, auth: 'basic' }));
    const { child, url } = await serve(['--config', config, '--listen', '127.0.0.1:0', '--database', db]);
    try {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/xcap$/);
      const origin = new URL(url).origin;
      const r = await rawRequest(origin, { path: '/xcap/xcap-caps/global/index', headers: { Authorization: basic('alice@example.com', 'pw2') } });
      assert.equal(r.status, 200);
      assert.match(r.body, /<xcap-caps/);
      assert.equal((await rawRequest(origin, { path: '/health' })).status, 200);
    } finally {
      const code = exited(child);
      child.kill('SIGTERM');
      assert.equal(await code, 0);
    }
  });
});
