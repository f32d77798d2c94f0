import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { basicAuthorization, basicChallenge, parseBasicAuthorization } from '../../src/auth/basic.js';

describe('parseBasicAuthorization', () => {
  test('RFC 7617 examples', () => {
    assert.deepEqual(parseBasicAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), {
      username: 'Aladdin',
      password: 'open sesame',
    });
    // §2.1: user "test", password "123£" in UTF-8.
    assert.deepEqual(parseBasicAuthorization('Basic dGVzdDoxMjPCow=='), { username: 'test', password: '123£' });
  });

  test('UTF-8 user name and a password containing colons', () => {
    const header = `Basic ${Buffer.from('Jäsøn:pa:ss:wörd', 'utf8').toString('base64')}`;
    assert.deepEqual(parseBasicAuthorization(header), { username: 'Jäsøn', password: 'pa:ss:wörd' });
  });

  test('scheme case and surrounding whitespace; unpadded base64', () => {
    assert.equal(parseBasicAuthorization('bAsIc   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ')?.username, 'Aladdin');
    assert.deepEqual(parseBasicAuthorization('Basic dGVzdDoxMjPCow'), { username: 'test', password: '123£' });
    assert.deepEqual(parseBasicAuthorization(`Basic ${Buffer.from('u:').toString('base64')}`), { username: 'u', password: '' });
  });

  test('malformed credentials yield null', () => {
    const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
    for (const bad of [
      undefined,
      '',
      'Basic',
      'Basic ',
      'Digest username="a"',
      `Basic ${b64('no-colon')}`,
      `Basic ${b64(':empty-user')}`,
      `Basic ${b64('user:pass\n')}`,
      `Basic ${b64('us\u0000er:pass')}`,
      `Basic ${b64(Buffer.from([0x61, 0x3a, 0xff, 0xfe]))}`,
      'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=== ',
      'Basic QWxh*GRpbjpvcGVuIHNlc2FtZQ==',
      'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== extra',
      'Basic QWxhZ=Rp',
      'Basic Q',
      'Basic QQ=',
    ]) {
      assert.equal(parseBasicAuthorization(bad), null, JSON.stringify(bad));
    }
  });

  test('round trip with basicAuthorization (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s));
    fc.assert(
      fc.property(text.filter((s) => s.length > 0 && !s.includes(':')), text, (username, password) => {
        assert.deepEqual(parseBasicAuthorization(basicAuthorization(username, password)), { username, password });
      }),
      { numRuns: 300 },
    );
  });

  test('never throws (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (tail) => {
        const result = parseBasicAuthorization(`Basic ${tail}`);
        assert.ok(result === null || typeof result.username === 'string');
      }),
      { numRuns: 500 },
    );
  });
});

test('basicChallenge', () => {
  assert.equal(basicChallenge('xcap.example.com'), 'Basic realm="xcap.example.com", charset="UTF-8"');
  assert.equal(basicChallenge('a"b'), 'Basic realm="a\\"b", charset="UTF-8"');
});
