import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestClientSession } from '../../src/auth/digest-client.js';
import type { DigestAlgorithm, DigestHashName } from '../../src/auth/digest-hash.js';
import { hashHex } from '../../src/auth/digest-hash.js';
import { parseAuthHeader } from '../../src/auth/digest-header.js';
import { DigestAuthenticator } from '../../src/auth/digest-server.js';
import type { DigestAuthenticatorOptions, DigestSuccess, LookupHa1 } from '../../src/auth/digest-server.js';
import { makePasswordDigests } from '../../src/auth/password-digests.js';

const REALM = 'example.com';
const SECRET = Buffer.alloc(32, 7);
const PASSWORDS: Record<string, string> = { alice: 'wonder land', 'Jäsøn': 'pässword', Mufasa: 'Circle of Life' };

function lookupIn(passwords: Record<string, string>, calls: string[] = []): LookupHa1 {
  return async (username, realm, algorithm) => {
    calls.push(`${username}|${realm}|${algorithm}`);
    const password = passwords[username];
    if (password === undefined) return null;
    const digests = makePasswordDigests(username, realm, password);
    return algorithm === 'MD5' ? digests.ha1Md5 : digests.ha1Sha256;
  };
}

const lookup = lookupIn(PASSWORDS);

class Clock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
}

function server(clock: Clock, options: Partial<DigestAuthenticatorOptions> = {}): DigestAuthenticator {
  return new DigestAuthenticator({ realm: REALM, secret: SECRET, now: clock.now, ...options });
}

function client(
  authenticator: DigestAuthenticator,
  username = 'alice',
  password = PASSWORDS[username] ?? '',
  preference?: readonly DigestAlgorithm[],
): DigestClientSession {
  return new DigestClientSession(authenticator.challenge(), { username, password }, preference ? { preference } : {});
}

function nonceOf(challenge: string): string {
  return parseAuthHeader(challenge)?.[0]?.params.get('nonce') ?? '';
}

/** Replaces one Digest parameter in an Authorization value (for tampering). */
function withParam(header: string, name: string, value: string): string {
  const pattern = new RegExp(`(?<=[ ,])${name}=("[^"]*"|[^,]*)`);
  assert.match(header, pattern);
  return header.replace(pattern, `${name}=${value}`);
}

describe('challenge', () => {
  test('one value per algorithm, MD5 first, with the RFC parameters', () => {
    const challenges = server(new Clock()).challenge();
    assert.equal(challenges.length, 2);
    const parsed = challenges.map((c) => parseAuthHeader(c)?.[0]);
    assert.deepEqual(
      parsed.map((c) => c?.params.get('algorithm')),
      ['MD5', 'SHA-256'],
    );
    for (const [i, c] of parsed.entries()) {
      assert.equal(c?.scheme, 'Digest');
      assert.deepEqual([...(c?.params.keys() ?? [])], ['realm', 'qop', 'algorithm', 'nonce', 'opaque']);
      assert.equal(c?.params.get('realm'), REALM);
      assert.equal(c?.params.get('qop'), 'auth');
      assert.match(challenges[i] ?? '', /^Digest realm="example\.com", qop="auth", algorithm=(MD5|SHA-256), nonce="[A-Za-z0-9_-]{70}", opaque="[A-Za-z0-9_-]+"$/);
    }
    assert.notEqual(parsed[0]?.params.get('nonce'), parsed[1]?.params.get('nonce'));
    assert.equal(parsed[0]?.params.get('opaque'), parsed[1]?.params.get('opaque'));
  });

  test('stale flag, realm override, realm function with a user hint, configured algorithms', () => {
    const clock = new Clock();
    const [stale] = server(clock).challenge({ stale: true, realm: 'other.org' });
    assert.match(stale ?? '', /^Digest realm="other\.org", .*, stale=true$/);
    const perDomain = server(clock, { realm: (hint) => `xcap.${hint?.split('@')[1] ?? 'default'}` });
    assert.match(perDomain.challenge({ userHint: 'alice@a.org' })[0] ?? '', /realm="xcap\.a\.org"/);
    assert.match(perDomain.challenge()[0] ?? '', /realm="xcap\.default"/);
    assert.deepEqual(
      server(clock, { algorithms: ['SHA-256-sess'] }).challenge().map((c) => parseAuthHeader(c)?.[0]?.params.get('algorithm')),
      ['SHA-256-sess'],
    );
    assert.throws(() => server(clock, { algorithms: [] }), RangeError);
  });
});

describe('RFC 7616 §3.9.1 credentials', () => {
  const rfcAuthorization = (response: string) =>
    'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ' +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ' +
    `cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="${response}"`;

  test('the digest checks out; the nonce is not ours, so it is stale, never accepted', async () => {
    const authenticator = server(new Clock(), { realm: 'http-auth@example.org' });
    const good = await authenticator.verify(rfcAuthorization('8ca523f5e9506fed4657c9700eebdbec'), 'GET', '/dir/index.html', lookup);
    assert.deepEqual(good, { ok: false, reason: 'stale' });
    const bad = await authenticator.verify(rfcAuthorization('8ca523f5e9506fed4657c9700eebdbed'), 'GET', '/dir/index.html', lookup);
    assert.deepEqual(bad, { ok: false, reason: 'bad-response' });
  });
});

describe('round trip client → server', () => {
  for (const algorithm of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const) {
    test(algorithm, async () => {
      const calls: string[] = [];
      const authenticator = server(new Clock(), { algorithms: ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] });
      const session = client(authenticator, 'alice', 'wonder land', [algorithm]);
      assert.equal(session.algorithm, algorithm);
      for (const [method, target] of [
        ['GET', '/xcap-root/resource-lists/users/sip:alice@example.com/index'],
        ['PUT', '/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5b@name=%22a%22%5d'],
        ['DELETE', '/xcap-root/pres-rules/users/sip:alice@example.com/index?x=1'],
      ] as const) {
        const result = await authenticator.verify(session.authorize(method, target), method, target, lookupIn(PASSWORDS, calls));
        assert.deepEqual(result, { ok: true, username: 'alice', realm: REALM, algorithm });
      }
      const hash: DigestHashName = algorithm.startsWith('SHA') ? 'SHA-256' : 'MD5';
      assert.deepEqual(calls, Array(3).fill(`alice|${REALM}|${hash}`));
    });
  }

  test('-sess is accepted when only its base algorithm is offered', async () => {
    const clock = new Clock();
    const authenticator = server(clock);
    const offer = authenticator.challenge()[1]?.replace('algorithm=SHA-256', 'algorithm=SHA-256-sess') ?? '';
    const session = new DigestClientSession(offer, { username: 'alice', password: 'wonder land' });
    const result = await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup);
    assert.equal(result.ok, true);
  });

  test('a non-ASCII user name, sent as UTF-8 octets or as username*', async () => {
    const authenticator = server(new Clock());
    const session = client(authenticator, 'Jäsøn');
    const header = session.authorize('GET', '/');
    assert.deepEqual(await authenticator.verify(header, 'GET', '/', lookup), {
      ok: true,
      username: 'Jäsøn',
      realm: REALM,
      algorithm: 'SHA-256',
    });
    const extended = client(authenticator, 'Jäsøn')
      .authorize('GET', '/')
      .replace(/username="[^"]*"/, "username*=UTF-8''J%C3%A4s%C3%B8n");
    assert.equal((await authenticator.verify(extended, 'GET', '/', lookup)).ok, true);
  });

  test('parsed parameters are accepted as well as the raw header', async () => {
    const authenticator = server(new Clock());
    const header = client(authenticator).authorize('GET', '/');
    const params = parseAuthHeader(header)?.[0]?.params;
    assert.equal((await authenticator.verify(params, 'GET', '/', lookup)).ok, true);
  });
});

describe('nonces', () => {
  test('expired: stale with the right password, bad-response with a wrong one; refresh works', async () => {
    const clock = new Clock();
    const authenticator = server(clock, { nonceLifetimeMs: 60_000 });
    const session = client(authenticator);
    const intruder = client(authenticator, 'alice', 'guess');
    clock.t += 60_000;
    assert.equal((await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup)).ok, true);
    clock.t += 1;
    assert.deepEqual(await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup), { ok: false, reason: 'stale' });
    assert.deepEqual(await authenticator.verify(intruder.authorize('GET', '/'), 'GET', '/', lookup), {
      ok: false,
      reason: 'bad-response',
    });
    assert.equal(session.update(authenticator.challenge({ stale: true })), true);
    assert.equal((await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup)).ok, true);
  });

  test('stamped too far in the future (beyond the clock skew allowance) is stale', async () => {
    const clock = new Clock();
    const ahead = new Clock();
    ahead.t = clock.t + 31_000;
    const session = client(server(ahead));
    assert.deepEqual(await server(clock).verify(session.authorize('GET', '/'), 'GET', '/', lookup), { ok: false, reason: 'stale' });
    ahead.t = clock.t + 29_000;
    const skewed = client(server(ahead));
    assert.equal((await server(clock).verify(skewed.authorize('GET', '/'), 'GET', '/', lookup)).ok, true);
  });

  test('another process with the same secret accepts them; a different secret does not', async () => {
    const clock = new Clock();
    const issuer = server(clock);
    const sibling = server(clock);
    const stranger = server(clock, { secret: Buffer.alloc(32, 8) });
    const defaultSecret = new DigestAuthenticator({ realm: REALM, now: clock.now });
    const session = client(issuer);
    assert.equal((await sibling.verify(session.authorize('GET', '/'), 'GET', '/', lookup)).ok, true);
    assert.equal((await issuer.verify(session.authorize('GET', '/'), 'GET', '/', lookup)).ok, true);
    const forStranger = session.authorize('GET', '/');
    // The password is right, so the client is told to fetch a fresh nonce (stale), never let in.
    assert.deepEqual(await stranger.verify(forStranger, 'GET', '/', lookup), { ok: false, reason: 'stale' });
    assert.deepEqual(await defaultSecret.verify(session.authorize('GET', '/'), 'GET', '/', lookup), { ok: false, reason: 'stale' });
    // Without the (also foreign) opaque the nonce alone is refused the same way.
    const withoutOpaque = session.authorize('GET', '/').replace(/, opaque="[^"]*"/, '');
    assert.deepEqual(await stranger.verify(withoutOpaque, 'GET', '/', lookup), { ok: false, reason: 'stale' });
    assert.equal((await issuer.verify(withoutOpaque, 'GET', '/', lookup)).ok, true);
  });

  test('a nonce is bound to its realm', async () => {
    const clock = new Clock();
    const authenticator = server(clock);
    const other = server(clock, { realm: 'other.org' });
    const [challenge] = other.challenge();
    const moved = (challenge ?? '').replace('realm="other.org"', `realm="${REALM}"`).replace(/, opaque="[^"]*"/, '');
    const session = new DigestClientSession(moved, { username: 'alice', password: 'wonder land' });
    assert.deepEqual(await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup), { ok: false, reason: 'stale' });
  });

  test('tampered nonces are rejected', async () => {
    const clock = new Clock();
    const authenticator = server(clock);
    const [challenge] = authenticator.challenge();
    const nonce = nonceOf(challenge ?? '');
    const flipped = `${nonce.slice(0, 3)}${nonce[3] === 'A' ? 'B' : 'A'}${nonce.slice(4)}`;
    // Non-canonical base64url for the same octets: would otherwise get a second nc counter.
    const last = nonce.at(-1) ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const noncanonical = nonce.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    assert.equal(Buffer.from(noncanonical, 'base64url').equals(Buffer.from(nonce, 'base64url')), true);
    const later = new Clock();
    later.t = clock.t + 10 * 365 * 86_400_000;
    for (const tampered of [flipped, noncanonical, nonce.slice(0, -4), `${nonce}AAAA`, 'not a nonce!', '']) {
      const session = new DigestClientSession((challenge ?? '').replace(nonce, tampered), {
        username: 'alice',
        password: 'wonder land',
      });
      const result = await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup);
      assert.deepEqual(result, { ok: false, reason: 'stale' }, tampered);
    }
    // An attacker re-using a captured header with a forged nonce fails outright.
    const captured = new DigestClientSession(challenge ?? '', { username: 'alice', password: 'wonder land' }).authorize('GET', '/');
    assert.deepEqual(await authenticator.verify(withParam(captured, 'nonce', `"${flipped}"`), 'GET', '/', lookup), {
      ok: false,
      reason: 'bad-response',
    });
    // A nonce with its timestamp rewritten no longer matches its MAC.
    const bytes = Buffer.from(nonce, 'base64url');
    bytes.writeBigUInt64BE(BigInt(later.t), 0);
    const rewound = new DigestClientSession((challenge ?? '').replace(nonce, bytes.toString('base64url')), {
      username: 'alice',
      password: 'wonder land',
    });
    assert.deepEqual(await server(later).verify(rewound.authorize('GET', '/'), 'GET', '/', lookup), { ok: false, reason: 'stale' });
  });
});

describe('nc and replays', () => {
  test('nc must strictly increase per nonce; gaps are fine', async () => {
    const authenticator = server(new Clock());
    const session = client(authenticator);
    const first = session.authorize('GET', '/');
    const second = session.authorize('GET', '/');
    assert.equal((await authenticator.verify(first, 'GET', '/', lookup)).ok, true);
    assert.deepEqual(await authenticator.verify(first, 'GET', '/', lookup), { ok: false, reason: 'replay' });
    assert.equal((await authenticator.verify(second, 'GET', '/', lookup)).ok, true);
    assert.deepEqual(await authenticator.verify(second, 'GET', '/', lookup), { ok: false, reason: 'replay' });
    session.authorize('GET', '/');
    const fourth = session.authorize('GET', '/');
    const third = withParam(fourth, 'nc', '00000003');
    assert.equal((await authenticator.verify(fourth, 'GET', '/', lookup)).ok, true);
    // Going back is a replay only once the digest is right; a doctored nc breaks the digest.
    assert.deepEqual(await authenticator.verify(third, 'GET', '/', lookup), { ok: false, reason: 'bad-response' });
    assert.equal(authenticator.trackedNonceCount, 1);
  });

  test('concurrent verifications of one header: exactly one succeeds', async () => {
    const authenticator = server(new Clock());
    const header = client(authenticator).authorize('GET', '/');
    const slowLookup: LookupHa1 = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return lookup(...args);
    };
    const results = await Promise.all([1, 2, 3].map(() => authenticator.verify(header, 'GET', '/', slowLookup)));
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : r.reason)).sort(),
      ['ok', 'replay', 'replay'],
    );
  });

  test('bounded tracking: an evicted nonce comes back stale, never accepted', async () => {
    const clock = new Clock();
    const authenticator = server(clock, { maxTrackedNonces: 2 });
    const sessions: DigestClientSession[] = [];
    const firstHeaders: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.t += 1;
      const session = client(authenticator);
      sessions.push(session);
      firstHeaders.push(session.authorize('GET', '/'));
    }
    for (const header of firstHeaders) {
      assert.equal((await authenticator.verify(header, 'GET', '/', lookup)).ok, true);
      assert.ok(authenticator.trackedNonceCount <= 2);
    }
    // sessions[0]'s nonce has been evicted: its replay is stale, and so is its next request.
    assert.deepEqual(await authenticator.verify(firstHeaders[0] ?? '', 'GET', '/', lookup), { ok: false, reason: 'stale' });
    assert.deepEqual(await authenticator.verify(sessions[0]?.authorize('GET', '/') ?? '', 'GET', '/', lookup), {
      ok: false,
      reason: 'stale',
    });
    // Still tracked ones keep their counters.
    assert.deepEqual(await authenticator.verify(firstHeaders[2] ?? '', 'GET', '/', lookup), { ok: false, reason: 'replay' });
    // A nonce issued after the eviction is new, not suspect.
    clock.t += 1;
    const fresh = client(authenticator);
    assert.equal((await authenticator.verify(fresh.authorize('GET', '/'), 'GET', '/', lookup)).ok, true);
    assert.equal(authenticator.trackedNonceCount, 2);
  });
});

describe('failure reasons', () => {
  const clock = new Clock();
  const authenticator = server(clock);
  const header = (target = '/') => client(authenticator).authorize('GET', target);

  test('missing', async () => {
    for (const absent of [undefined, null, 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', 'Bearer abc']) {
      assert.deepEqual(await authenticator.verify(absent, 'GET', '/', lookup), { ok: false, reason: 'missing' });
    }
  });

  test('malformed', async () => {
    const good = header();
    for (const bad of [
      '',
      'Digest',
      'Digest username="alice", realm="example.com"',
      good.replace(/ qop=auth,/, ''),
      withParam(good, 'qop', 'auth-int'),
      withParam(good, 'nc', '1'),
      withParam(good, 'nc', '00000000'),
      withParam(good, 'nc', '0000000g'),
      withParam(good, 'cnonce', '""'),
      withParam(good, 'username', '""'),
      `${good}, userhash=true`,
      `${good}, username*=UTF-8''alice`,
      good.replace(/username="alice"/, "username*=latin1''alice"),
      `${good}, response="again"`,
      'Digest username="alice", realm="unterminated',
    ]) {
      assert.deepEqual(await authenticator.verify(bad, 'GET', '/', lookup), { ok: false, reason: 'malformed' }, bad);
    }
  });

  test('stale for a foreign opaque', async () => {
    assert.deepEqual(await authenticator.verify(withParam(header(), 'opaque', '"someone-else"'), 'GET', '/', lookup), {
      ok: false,
      reason: 'stale',
    });
  });

  test('unknown-user, bad-response', async () => {
    const stranger = client(authenticator, 'mallory', 'x').authorize('GET', '/');
    assert.deepEqual(await authenticator.verify(stranger, 'GET', '/', lookup), { ok: false, reason: 'unknown-user' });
    const wrong = client(authenticator, 'alice', 'wrong').authorize('GET', '/');
    assert.deepEqual(await authenticator.verify(wrong, 'GET', '/', lookup), { ok: false, reason: 'bad-response' });
    // Same credentials, other method: the digest covers the method.
    assert.deepEqual(await authenticator.verify(header(), 'PUT', '/', lookup), { ok: false, reason: 'bad-response' });
  });

  test('uri-mismatch', async () => {
    assert.deepEqual(await authenticator.verify(header('/a'), 'GET', '/b', lookup), { ok: false, reason: 'uri-mismatch' });
    assert.deepEqual(await authenticator.verify(header('/a'), 'GET', 'http://example.com/a', lookup), {
      ok: false,
      reason: 'uri-mismatch',
    });
  });

  test('wrong-realm', async () => {
    const other = server(clock, { realm: 'other.org' });
    const session = client(other);
    assert.deepEqual(await authenticator.verify(session.authorize('GET', '/'), 'GET', '/', lookup), { ok: false, reason: 'wrong-realm' });
    const perUser = server(clock, { realm: (hint) => (hint === 'sip:bob@b.org' ? 'b.org' : REALM) });
    assert.deepEqual(await perUser.verify(header(), 'GET', '/', lookup, { userHint: 'sip:bob@b.org' }), {
      ok: false,
      reason: 'wrong-realm',
    });
    assert.equal((await perUser.verify(header(), 'GET', '/', lookup, { userHint: 'sip:alice@example.com' })).ok, true);
    assert.deepEqual(await authenticator.verify(header(), 'GET', '/', lookup, { realm: 'b.org' }), { ok: false, reason: 'wrong-realm' });
  });

  test('unsupported-algorithm', async () => {
    const md5Only = server(clock, { algorithms: ['MD5'] });
    const sha = new DigestClientSession(authenticator.challenge(), { username: 'alice', password: 'wonder land' });
    assert.equal(sha.algorithm, 'SHA-256');
    assert.deepEqual(await md5Only.verify(sha.authorize('GET', '/'), 'GET', '/', lookup), {
      ok: false,
      reason: 'unsupported-algorithm',
    });
    assert.deepEqual(await authenticator.verify(withParam(header(), 'algorithm', 'SHA-512-256'), 'GET', '/', lookup), {
      ok: false,
      reason: 'unsupported-algorithm',
    });
  });
});

describe('python-xcaplib interoperability', () => {
  const target = '/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name="friends"]';

  test('bare quotes in the signed uri (MD5, the first challenge)', async () => {
    const authenticator = server(new Clock());
    const session = new DigestClientSession(authenticator.challenge()[0] ?? '', { username: 'alice', password: 'wonder land' }, {
      rawQuotesInUri: true,
    });
    assert.equal(session.algorithm, 'MD5');
    const header = session.authorize('GET', target);
    assert.ok(header.includes(`uri="${target}"`));
    assert.deepEqual(await authenticator.verify(header, 'GET', target, lookup), {
      ok: true,
      username: 'alice',
      realm: REALM,
      algorithm: 'MD5',
    });
  });

  test('urllib2 layout: quoted algorithm, qop and nc last', async () => {
    const authenticator = server(new Clock());
    const [challenge] = authenticator.challenge();
    const params = parseAuthHeader(challenge ?? '')?.[0]?.params;
    const nonce = params?.get('nonce') ?? '';
    const opaque = params?.get('opaque') ?? '';
    const ha1 = makePasswordDigests('alice', REALM, 'wonder land').ha1Md5;
    const response = hashHex('MD5', `${ha1}:${nonce}:00000001:0123abcd:auth:${hashHex('MD5', `GET:${target}`)}`);
    const header =
      `Digest username="alice", realm="${REALM}", nonce="${nonce}", uri="${target}", response="${response}", ` +
      `opaque="${opaque}", algorithm="MD5", qop=auth, nc=00000001, cnonce="0123abcd"`;
    assert.equal((await authenticator.verify(header, 'GET', target, lookup)).ok, true);
  });
});

describe('authenticationInfo', () => {
  test('rspauth over ":" uri, nextnonce once the nonce is past half its life', async () => {
    const clock = new Clock();
    const authenticator = server(clock, { nonceLifetimeMs: 100_000 });
    const session = new DigestClientSession(authenticator.challenge(), { username: 'alice', password: 'wonder land' }, {
      cnonce: () => 'fixed-cnonce',
      preference: ['MD5'],
    });
    const header = session.authorize('GET', '/doc');
    const nonce = parseAuthHeader(header)?.[0]?.params.get('nonce') ?? '';
    const result = (await authenticator.verify(header, 'GET', '/doc', lookup)) as DigestSuccess;
    assert.equal(result.ok, true);
    assert.equal(Object.keys(result).join(), 'ok,username,realm,algorithm');
    const ha1 = makePasswordDigests('alice', REALM, 'wonder land').ha1Md5;
    const rspauth = hashHex('MD5', `${ha1}:${nonce}:00000001:fixed-cnonce:auth:${hashHex('MD5', ':/doc')}`);
    assert.equal(
      authenticator.authenticationInfo(result),
      `rspauth="${rspauth}", qop=auth, nc=00000001, cnonce="fixed-cnonce"`,
    );
    assert.match(authenticator.authenticationInfo(result, { nextnonce: true }), /, nextnonce="[A-Za-z0-9_-]{70}"$/);

    clock.t += 50_000;
    const later = (await authenticator.verify(session.authorize('GET', '/doc'), 'GET', '/doc', lookup)) as DigestSuccess;
    const info = authenticator.authenticationInfo(later);
    assert.match(info, /nextnonce=/);
    assert.doesNotMatch(authenticator.authenticationInfo(later, { nextnonce: false }), /nextnonce=/);
    session.acceptAuthenticationInfo(info);
    clock.t += 50_001;
    // The old nonce would be stale now; the next one carries on.
    assert.equal((await authenticator.verify(session.authorize('GET', '/doc'), 'GET', '/doc', lookup)).ok, true);
  });

  test('refuses results it did not produce', () => {
    const authenticator = server(new Clock());
    assert.throws(() => authenticator.authenticationInfo({ ok: true, username: 'a', realm: 'r', algorithm: 'MD5' }), TypeError);
  });
});
