import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeExtValue,
  decodeHeaderText,
  formatAuthParams,
  formatChallenge,
  parseAuthHeader,
  parseDigestChallenges,
  parseDigestCredentials,
  quoteString,
  signedUriMatches,
} from '../../src/auth/digest-header.js';

function digestParams(header: string): ReadonlyMap<string, string> {
  const parsed = parseDigestCredentials(header);
  assert.equal(parsed.kind, 'digest', `not parsed as Digest: ${header}`);
  return (parsed as { params: ReadonlyMap<string, string> }).params;
}

describe('parseAuthHeader', () => {
  test('tokens, quoted strings, escapes, whitespace, case-insensitive names', () => {
    const [challenge, ...rest] = parseAuthHeader(
      'DIGEST Realm = "a \\"quoted\\" \\\\ realm" ,\tNONCE="n,o=n\'ce",algorithm=SHA-256 , stale=TRUE',
    ) ?? [];
    assert.equal(rest.length, 0);
    assert.equal(challenge?.scheme, 'DIGEST');
    assert.deepEqual(
      [...(challenge?.params ?? [])],
      [
        ['realm', 'a "quoted" \\ realm'],
        ['nonce', "n,o=n'ce"],
        ['algorithm', 'SHA-256'],
        ['stale', 'TRUE'],
      ],
    );
  });

  test('several challenges in one WWW-Authenticate value', () => {
    const parsed = parseAuthHeader(
      'Digest realm="x", qop="auth", algorithm=MD5, nonce="1", Digest realm="x", qop="auth", algorithm=SHA-256, nonce="2", Basic realm="x", charset="UTF-8", Negotiate abc==, Bearer',
    );
    assert.deepEqual(
      parsed?.map((c) => [c.scheme, c.params.get('algorithm') ?? c.params.get('realm') ?? c.token68 ?? null]),
      [
        ['Digest', 'MD5'],
        ['Digest', 'SHA-256'],
        ['Basic', 'x'],
        ['Negotiate', 'abc=='],
        ['Bearer', null],
      ],
    );
    assert.equal(parsed?.[1]?.params.get('nonce'), '2');
  });

  test('empty list elements and a trailing comma are tolerated', () => {
    const parsed = parseAuthHeader(' , Digest realm="r",, nonce="n" ,');
    assert.equal(parsed?.length, 1);
    assert.deepEqual([...(parsed?.[0]?.params ?? [])], [
      ['realm', 'r'],
      ['nonce', 'n'],
    ]);
  });

  test('malformed values yield null', () => {
    for (const bad of [
      '',
      '   ',
      'Digest realm="unterminated',
      'Digest realm="a" nonce="b"',
      'Digest realm="a", realm="b"',
      'Digest =x',
      '"Digest"',
      'Digest realm="a\r\nX-Injected: 1"',
      'Digest realm="a\u0000"',
      'Digest realm="a\\',
      'Digest realm=a b',
    ]) {
      assert.equal(parseAuthHeader(bad), null, JSON.stringify(bad));
    }
  });

  test('never throws on arbitrary input (property)', () => {
    const alphabet = fc.constantFrom(...'Digest uri="\\,= \t;:@/[]~abcAB01\r\n\u0000\u00e9'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 80 }), fc.string({ maxLength: 80 })), (value) => {
        const parsed = parseAuthHeader(value);
        assert.ok(parsed === null || Array.isArray(parsed));
        const credentials = parseDigestCredentials(value);
        assert.ok(['digest', 'other-scheme', 'malformed'].includes(credentials.kind));
      }),
      { numRuns: 2000 },
    );
    // Header-shaped noise, to exercise the uri recovery and challenge splitting.
    const piece = fc.constantFrom('Digest ', 'Basic ', 'uri=', 'uri="', 'nonce=', '"', '\\"', ', ', ',', ' ', 'a', '[@n="x"]', '=', '==');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const value = pieces.join('');
        const parsed = parseAuthHeader(value);
        assert.ok(parsed === null || parsed.length > 0);
        parseDigestCredentials(value);
      }),
      { numRuns: 3000 },
    );
    for (const notAString of [undefined, null, 42, {}, ['Digest realm="x"']]) {
      assert.equal(parseAuthHeader(notAString), null);
    }
  });

  test('formatted parameters parse back to the same values (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const value = fc.string({ unit: fc.constantFrom(...'ab ,="\\\t;=é/'.split('')), maxLength: 20 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, minLength: 1, maxLength: 6 }), (entries) => {
        const parsed = parseAuthHeader(formatChallenge('Digest', entries));
        assert.equal(parsed?.length, 1);
        assert.deepEqual([...(parsed?.[0]?.params ?? [])], entries);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the bare-quote uri of python-xcaplib', () => {
  const target = '/xcap-root/resource-lists/users/sip:a@b/index/~~/resource-lists/list[@name="friends"]';

  test('recovered in the middle of the list', () => {
    const params = digestParams(
      `Digest username="a", realm="example.com", nonce="abc", uri="${target}", response="0123", algorithm="MD5", qop=auth, nc=00000001, cnonce="c1"`,
    );
    assert.equal(params.get('uri'), target);
    assert.equal(params.get('response'), '0123');
    assert.equal(params.get('algorithm'), 'MD5');
    assert.equal(params.get('cnonce'), 'c1');
  });

  test('recovered as the last parameter', () => {
    assert.equal(digestParams(`Digest username="a", uri="${target}"`).get('uri'), target);
    assert.equal(digestParams(`Digest username="a", uri="${target}"  `).get('uri'), target);
  });

  test('several predicates, a comma inside the value and an unknown name after a comma', () => {
    const odd = '/x/~~/a/b[@c="1,2"]/d[@e="f", g="h"]';
    const params = digestParams(`Digest uri="${odd}", nonce="n"`);
    assert.equal(params.get('uri'), odd);
    assert.equal(params.get('nonce'), 'n');
  });

  test('a conforming escaped uri is unescaped as usual', () => {
    const escaped = target.replace(/"/g, '\\"');
    assert.equal(digestParams(`Digest uri="${escaped}", nonce="n"`).get('uri'), target);
  });

  test('a quote never followed by a parameter boundary is malformed', () => {
    assert.equal(parseDigestCredentials('Digest uri="/a"b"c d').kind, 'malformed');
  });

  test('the recovery applies to uri only', () => {
    assert.equal(parseDigestCredentials('Digest realm="a"b", nonce="n"').kind, 'malformed');
  });

  test('signed uri compared exactly with the request target', () => {
    assert.equal(signedUriMatches(target, target), true);
    assert.equal(signedUriMatches(target, target.replace(/"/g, '%22')), false);
    assert.equal(signedUriMatches('/dir/index.html', '/dir/index.html?x'), false);
  });
});

describe('parseDigestCredentials / parseDigestChallenges', () => {
  test('classifies the scheme', () => {
    assert.deepEqual(parseDigestCredentials('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), {
      kind: 'other-scheme',
      scheme: 'Basic',
    });
    assert.equal(parseDigestCredentials('digest username="x"').kind, 'digest');
    assert.equal(parseDigestCredentials('Digest').kind, 'malformed');
    assert.equal(parseDigestCredentials('Digest abc==').kind, 'malformed');
    // Syntactically a token68, which Digest never uses.
    assert.equal(parseDigestCredentials('Digest realm=').kind, 'malformed');
    assert.equal(parseDigestCredentials('Digest username="x", Digest username="y"').kind, 'malformed');
  });

  test('collects Digest challenges from one or several values and skips garbage', () => {
    const found = parseDigestChallenges([
      'Basic realm="x", Digest realm="x", nonce="1"',
      'Digest realm="x", nonce="2"',
      'Digest realm="broken',
    ]);
    assert.deepEqual(
      found.map((c) => c.params.get('nonce')),
      ['1', '2'],
    );
    assert.deepEqual(parseDigestChallenges(undefined), []);
  });
});

describe('formatting', () => {
  test('quotes and escapes, tokens stay bare', () => {
    assert.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(
      formatChallenge('Digest', [
        ['realm', 'x"y'],
        ['algorithm', 'SHA-256', 'token'],
        ['stale', 'not a token', 'token'],
      ]),
      'Digest realm="x\\"y", algorithm=SHA-256, stale="not a token"',
    );
    assert.equal(formatAuthParams([['nc', '00000001', 'token']]), 'nc=00000001');
  });

  test('refuses header injection and bad names', () => {
    assert.throws(() => formatChallenge('Digest', [['realm', 'a\r\nSet-Cookie: x']]), TypeError);
    assert.throws(() => formatChallenge('Digest', [['re alm', 'a']]), TypeError);
    assert.throws(() => formatChallenge('Di gest', []), TypeError);
  });
});

describe('text decoding', () => {
  test('RFC 8187 ext-value', () => {
    assert.equal(decodeExtValue("UTF-8''J%C3%A4s%C3%B8n%20Doe"), 'Jäsøn Doe');
    assert.equal(decodeExtValue("utf-8'en'abc"), 'abc');
    assert.equal(decodeExtValue("ISO-8859-1''abc"), null);
    assert.equal(decodeExtValue("UTF-8''%C3"), null);
    assert.equal(decodeExtValue('abc'), null);
  });

  test('latin1 octet strings holding UTF-8 are re-read as UTF-8', () => {
    assert.equal(decodeHeaderText(Buffer.from('Jäsøn', 'utf8').toString('latin1')), 'Jäsøn');
    assert.equal(decodeHeaderText('plain'), 'plain');
    assert.equal(decodeHeaderText('caf\u00e9'), 'caf\u00e9');
    assert.equal(decodeHeaderText('\u4e2d'), '\u4e2d');
  });
});
