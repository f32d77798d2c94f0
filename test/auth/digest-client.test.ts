import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestClientSession, UnsupportedChallengeError } from '../../src/auth/digest-client.js';
import { hashHex } from '../../src/auth/digest-hash.js';
import { parseAuthHeader, parseDigestCredentials } from '../../src/auth/digest-header.js';

const RFC_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC_OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const RFC_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
const MUFASA = { username: 'Mufasa', password: 'Circle of Life' };

function rfcChallenge(algorithm: string): string {
  return `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="${RFC_NONCE}", opaque="${RFC_OPAQUE}"`;
}

function paramsOf(header: string): ReadonlyMap<string, string> {
  const parsed = parseDigestCredentials(header);
  assert.equal(parsed.kind, 'digest');
  return (parsed as { params: ReadonlyMap<string, string> }).params;
}

function counter(prefix = 'cnonce'): () => string {
  let n = 0;
  return () => `${prefix}${++n}`;
}

describe('RFC 7616 §3.9.1 worked example', () => {
  for (const [algorithm, response] of [
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const) {
    test(algorithm, () => {
      const session = new DigestClientSession(rfcChallenge(algorithm), MUFASA, { cnonce: () => RFC_CNONCE });
      const params = paramsOf(session.authorize('GET', '/dir/index.html'));
      assert.deepEqual(Object.fromEntries(params), {
        username: 'Mufasa',
        realm: 'http-auth@example.org',
        uri: '/dir/index.html',
        algorithm,
        nonce: RFC_NONCE,
        nc: '00000001',
        cnonce: RFC_CNONCE,
        qop: 'auth',
        response,
        opaque: RFC_OPAQUE,
      });
    });
  }

  test('algorithm, qop and nc are sent as tokens, the rest quoted', () => {
    const session = new DigestClientSession(rfcChallenge('MD5'), MUFASA, { cnonce: () => RFC_CNONCE });
    const header = session.authorize('GET', '/dir/index.html');
    assert.match(header, /^Digest username="Mufasa", /);
    assert.match(header, /, algorithm=MD5, qop=auth, nc=00000001, cnonce="/);
    assert.match(header, /, response="8ca523f5e9506fed4657c9700eebdbec", opaque="/);
  });
});

describe('choosing a challenge', () => {
  const offers = ['MD5', 'SHA-256', 'MD5-sess', 'SHA-256-sess'].map(
    (a) => `Digest realm="r", qop="auth", algorithm=${a}, nonce="n-${a}"`,
  );

  test('the strongest offered by default, in any order and from one joined value', () => {
    assert.equal(new DigestClientSession(offers, MUFASA).algorithm, 'SHA-256-sess');
    assert.equal(new DigestClientSession([...offers].reverse(), MUFASA).algorithm, 'SHA-256-sess');
    assert.equal(new DigestClientSession(offers.slice(0, 3).join(', '), MUFASA).algorithm, 'SHA-256');
    assert.equal(new DigestClientSession([offers[0] ?? '', offers[2] ?? ''].join(', '), MUFASA).algorithm, 'MD5-sess');
    assert.equal(new DigestClientSession(offers.slice(0, 1), MUFASA).algorithm, 'MD5');
  });

  test('a caller preference wins; challenges may come pre-parsed', () => {
    const session = new DigestClientSession(offers, MUFASA, { preference: ['MD5', 'SHA-256'] });
    assert.equal(session.algorithm, 'MD5');
    const parsed = parseAuthHeader(offers.join(', ')) ?? [];
    assert.equal(new DigestClientSession(parsed, MUFASA, { preference: ['SHA-256'] }).algorithm, 'SHA-256');
  });

  test('skips Basic, unknown algorithms and auth-int-only challenges', () => {
    const session = new DigestClientSession(
      [
        'Basic realm="r"',
        'Digest realm="r", qop="auth", algorithm=SHA-512-256, nonce="a"',
        'Digest realm="r", qop="auth-int", algorithm=SHA-256, nonce="b"',
        'Digest realm="r", qop="auth-int,auth", algorithm=MD5, nonce="c"',
      ],
      MUFASA,
    );
    assert.equal(session.algorithm, 'MD5');
    assert.equal(paramsOf(session.authorize('GET', '/')).get('nonce'), 'c');
  });

  test('throws when nothing can be answered', () => {
    for (const offer of [
      'Basic realm="r"',
      'Digest realm="r", qop="auth-int", nonce="n"',
      'Digest realm="r", qop="auth"',
      'Digest nonce="n"',
      '',
    ]) {
      assert.throws(() => new DigestClientSession(offer, MUFASA), UnsupportedChallengeError, offer);
    }
    assert.throws(() => new DigestClientSession(offers, MUFASA, { preference: [] }), UnsupportedChallengeError);
  });
});

describe('signing successive requests', () => {
  test('reuses the nonce with nc counting up and a fresh cnonce each time', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="N"', MUFASA);
    const first = paramsOf(session.authorize('GET', '/a'));
    const second = paramsOf(session.authorize('PUT', '/b'));
    assert.equal(first.get('nc'), '00000001');
    assert.equal(second.get('nc'), '00000002');
    assert.equal(first.get('nonce'), 'N');
    assert.equal(second.get('nonce'), 'N');
    assert.notEqual(first.get('cnonce'), second.get('cnonce'));
    assert.match(first.get('cnonce') ?? '', /^[0-9a-f]{32}$/);
    // No algorithm in the challenge: none in the answer either (MD5 implied).
    assert.equal(first.has('algorithm'), false);
    for (let i = 3; i <= 17; i++) session.authorize('GET', '/');
    assert.equal(paramsOf(session.authorize('GET', '/')).get('nc'), '00000012');
  });

  test('the response matches the RFC formula', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", algorithm=MD5, nonce="N"', MUFASA, {
      cnonce: counter(),
    });
    session.authorize('GET', '/');
    const params = paramsOf(session.authorize('DELETE', '/x'));
    const ha1 = hashHex('MD5', 'Mufasa:r:Circle of Life');
    const ha2 = hashHex('MD5', 'DELETE:/x');
    assert.equal(params.get('response'), hashHex('MD5', `${ha1}:N:00000002:cnonce2:auth:${ha2}`));
  });

  test('RFC 2069 server without qop: no nc, cnonce or qop', () => {
    const session = new DigestClientSession('Digest realm="r", nonce="N", opaque="O"', MUFASA);
    const params = paramsOf(session.authorize('GET', '/x'));
    assert.deepEqual([...params.keys()].sort(), ['nonce', 'opaque', 'realm', 'response', 'uri', 'username']);
    const ha1 = hashHex('MD5', 'Mufasa:r:Circle of Life');
    assert.equal(params.get('response'), hashHex('MD5', `${ha1}:N:${hashHex('MD5', 'GET:/x')}`));
  });

  test('a non-ASCII user name travels as its UTF-8 octets', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="N"', { username: 'Jäsøn', password: 'p' });
    const username = paramsOf(session.authorize('GET', '/')).get('username') ?? '';
    assert.equal(Buffer.from(username, 'latin1').toString('utf8'), 'Jäsøn');
  });
});

describe('the uri parameter', () => {
  const target = '/xcap-root/resource-lists/users/sip:a@b/index/~~/resource-lists/list[@name="friends"]';

  test('escaped per RFC 7616 by default, and parsed back to the exact target', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="N"', MUFASA);
    const header = session.authorize('GET', `${target}\\x`);
    assert.ok(header.includes('uri="/xcap-root/resource-lists/users/sip:a@b/index/~~/resource-lists/list[@name=\\"friends\\"]\\\\x"'));
    assert.equal(paramsOf(header).get('uri'), `${target}\\x`);
  });

  test('rawQuotesInUri sends it the python-xcaplib way', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="N"', MUFASA, { rawQuotesInUri: true });
    const header = session.authorize('GET', target);
    assert.ok(header.includes(`uri="${target}",`));
    assert.equal(paramsOf(header).get('uri'), target);
  });
});

describe('later 401s and Authentication-Info', () => {
  test('stale=true: same credentials, new nonce, nc restarts', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="old"', MUFASA);
    session.authorize('GET', '/');
    session.authorize('GET', '/');
    assert.equal(session.update('Digest realm="r", qop="auth", nonce="new", stale=TRUE'), true);
    const params = paramsOf(session.authorize('GET', '/'));
    assert.equal(params.get('nonce'), 'new');
    assert.equal(params.get('nc'), '00000001');
  });

  test('without stale the credentials were refused: no point retrying', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="old"', MUFASA);
    assert.equal(session.update('Digest realm="r", qop="auth", nonce="new"'), false);
    assert.equal(session.update('Basic realm="r"'), false);
    assert.equal(paramsOf(session.authorize('GET', '/')).get('nonce'), 'new');
  });

  test('nextnonce is adopted', () => {
    const session = new DigestClientSession('Digest realm="r", qop="auth", nonce="old"', MUFASA);
    session.authorize('GET', '/');
    session.acceptAuthenticationInfo('rspauth="abc", qop=auth, nc=00000001, cnonce="x"');
    assert.equal(paramsOf(session.authorize('GET', '/')).get('nc'), '00000002');
    session.acceptAuthenticationInfo('rspauth="abc", nextnonce="next"');
    const params = paramsOf(session.authorize('GET', '/'));
    assert.equal(params.get('nonce'), 'next');
    assert.equal(params.get('nc'), '00000001');
    session.acceptAuthenticationInfo(undefined);
    session.acceptAuthenticationInfo('garbage "');
    assert.equal(paramsOf(session.authorize('GET', '/')).get('nonce'), 'next');
  });
});
