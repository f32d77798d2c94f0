import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const CLI = join(import.meta.dirname, '../../src/cli/xcapd.ts');
const FIXTURES = join(import.meta.dirname, '../fixtures/phonebook');

function xcapd(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('xcapd phonebook', () => {
  let dir: string;
  let db: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xcapd-phonebook-cli-'));
    db = join(dir, 'x.sqlite');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('import reports what it did and warns about duplicates on stderr; export writes vCard and CSV', () => {
    const imported = xcapd(['phonebook', 'import', join(FIXTURES, 'google-contacts.csv'), '--user', 'alice@example.com', '--database', db]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^3 contacts from .*google-contacts\.csv \(csv\) into alice@example\.com's tbook\.xml: 3 added, 0 updated, 0 unchanged, 0 other entries kept; written, etag \S+\n$/);

    const again = xcapd(['phonebook', 'import', join(FIXTURES, 'google-contacts.vcf'), '--user', 'alice@example.com', '--database', db, '--country-code', '1']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /: 0 added, 1 updated, 1 unchanged, 1 other entries kept; written/);

    const out = join(dir, 'alice.vcf');
    const exported = xcapd(['phonebook', 'export', '--user', 'alice@example.com', '-o', out, '--database', db]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^3 entries of alice@example\.com's tbook\.xml written to /);
    const vcf = readFileSync(out, 'utf8');
    assert.equal(vcf.match(/BEGIN:VCARD/g)?.length, 3);
    assert.match(vcf, /FN:Ana María Núñez/);
  });

  test('the shared directory: import with --replace, duplicates across contacts reported', () => {
    const r = xcapd(['phonebook', 'import', join(FIXTURES, 'outlook-de.csv'), '--shared', '--replace', '--database', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /into the shared directory \(global\/tbook\.xml\): 2 added, 0 updated, 0 unchanged, 0 removed/);
    assert.match(r.stderr, /^warning: skipped 1 line\(s\) before the header row$/m);
    assert.match(r.stderr, /^warning: duplicate number 01605550161 in 2 entries \(Hildegard Größmann \([0-9A-F]{32}\); Klaus Weiß \([0-9A-F]{32}\)\); duplicates make Snom phones slow$/m);
  });

  test('mistakes are one line and exit 2', () => {
    const both = xcapd(['phonebook', 'import', join(FIXTURES, 'apple-contacts.vcf'), '--user', 'a@example.com', '--shared', '--database', db]);
    assert.equal(both.code, 2);
    assert.equal(both.stderr.trim(), 'xcapd: give --user or --shared, not both');
    const missing = xcapd(['phonebook', 'export', '--user', 'nobody@example.com', '--database', db]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim(), "xcapd: there is no phone book for nobody@example.com's tbook.xml");
  });
});
