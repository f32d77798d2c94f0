import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidUserIdError,
  domainPart,
  isTelUserId,
  normalizeUserId,
  toXui,
  userPart,
} from '../../src/auth/user-id.js';

describe('normalizeUserId', () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ['sip:Alice@Example.COM', 'Alice@example.com'],
    ['sips:Alice@example.com', 'Alice@example.com'],
    ['SIP:alice@example.com', 'alice@example.com'],
    ['alice@Example.com', 'alice@example.com'],
    ['  sip:alice@example.com\t', 'alice@example.com'],
    ['<sip:alice@example.com>', 'alice@example.com'],
    ['"Alice" <sip:alice@example.com>', 'alice@example.com'],
    ['"Alice \\"A\\" <x>" <sip:alice@example.com>', 'alice@example.com'],
    ['Alice Liddell <sip:alice@example.com;transport=tcp>', 'alice@example.com'],
    // X-3GPP-Intended-Identity
    ['"<sip:alice@example.com>"', 'alice@example.com'],
    ['"sip:alice@example.com"', 'alice@example.com'],
    ['sip:alice@example.com;transport=tcp;lr', 'alice@example.com'],
    ['sip:alice@example.com?subject=hi&priority=urgent', 'alice@example.com'],
    ['sip:alice@example.com:5061;transport=tls', 'alice@example.com'],
    ['sip:alice:secret@example.com', 'alice@example.com'],
    ['sip:alice@EXAMPLE.com.', 'alice@example.com'],
    ['sip:%41lice@example.com', 'Alice@example.com'],
    ['sip:al%2Eice@example.com', 'al.ice@example.com'],
    ['sip:a%40b@example.com', 'a@b@example.com'],
    ['sip:j%C3%A4s%C3%B8n@example.com', 'jäsøn@example.com'],
    ['sip:jäsøn@example.com', 'jäsøn@example.com'],
    ['sip:+358-555-1234567;postd=pp22@foo.com;user=phone', '+358-555-1234567;postd=pp22@foo.com'],
    ['sip:alice@192.0.2.10:5060', 'alice@192.0.2.10'],
    ['sip:alice@[2001:DB8::1]:5060', 'alice@[2001:db8::1]'],
    ['sip:alice@[2001:db8::1]', 'alice@[2001:db8::1]'],
    ['tel:+1-201-555-0123', 'tel:+12015550123'],
    ['TEL:+1.201.555.0123;ext=22', 'tel:+12015550123'],
    ['<tel:+44(20)>', 'tel:+4420'],
    ['tel:7042;phone-context=example.com', 'tel:7042'],
    ['tel:*21#', 'tel:*21#'],
    ['Alice@example.com', 'Alice@example.com'],
  ];

  for (const [input, expected] of table) {
    test(`${input} → ${expected}`, () => {
      assert.equal(normalizeUserId(input), expected);
      // Idempotent.
      assert.equal(normalizeUserId(expected), expected);
    });
  }

  const garbage = [
    '',
    '   ',
    'alice',
    'sip:',
    'sip:example.com',
    'sip:@example.com',
    'sip::pw@example.com',
    'sip:alice@',
    'sip:alice@exa mple.com',
    'sip:alice@example..com',
    'sip:alice@-example.com',
    'sip:alice@example.com:port',
    'sip:alice@[::1',
    'sip:alice@[zz::1]',
    'sip:al ice@example.com',
    'sip:al"ice@example.com',
    'sip:%zz@example.com',
    'sip:%C3@example.com',
    'sip:a%00b@example.com',
    'sip:a%3Ab@example.com',
    'sip:a%22b@example.com',
    'sip:a%20b@example.com',
    'sip:alice@example.com>',
    '<sip:alice@example.com',
    '"Alice <sip:alice@example.com>',
    '"Alice" sip:alice@example.com',
    'Al"ice <sip:alice@example.com>',
    '<<sip:alice@example.com>>',
    'mailto:alice@example.com',
    'http://alice@example.com/',
    'tel:',
    'tel:+',
    'tel:+12a',
    'tel:abc',
    '@example.com',
    'a b@example.com',
    'alice@example.com;transport=tcp',
    'alice\u0000@example.com',
  ];
  for (const input of garbage) {
    test(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => normalizeUserId(input),
        (error: unknown) => error instanceof InvalidUserIdError && error.input === input && error.name === 'InvalidUserIdError',
      );
    });
  }

  test('non-strings are refused with the typed error', () => {
    assert.throws(() => normalizeUserId(undefined as unknown as string), InvalidUserIdError);
  });

  test('idempotent on everything it accepts (property)', () => {
    const userChar = fc.constantFrom(...'aB9-_.!~*\'()&=+$,;?/%é'.split(''), '%41', '%40', '%25', '%C3%A9', '%2F');
    const user = fc.array(userChar, { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
    const host = fc.constantFrom('Example.COM', 'a.b', '192.0.2.1', '[2001:DB8::1]', 'x_y.org.');
    const wrap = fc.constantFrom(
      (uri: string) => uri,
      (uri: string) => `<${uri}>`,
      (uri: string) => `"Name" <${uri};lr>`,
      (uri: string) => `"${uri}"`,
    );
    fc.assert(
      fc.property(fc.constantFrom('sip', 'sips', 'SIP'), user, host, wrap, (scheme, u, h, w) => {
        let normalized: string;
        try {
          normalized = normalizeUserId(w(`${scheme}:${u}@${h}`));
        } catch (error) {
          assert.ok(error instanceof InvalidUserIdError);
          return;
        }
        assert.equal(normalizeUserId(normalized), normalized);
        assert.equal(normalizeUserId(toXui(normalized)), normalized);
        assert.equal(toXui(toXui(normalized)), toXui(normalized));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parts and XUIs', () => {
  test('userPart / domainPart', () => {
    assert.equal(userPart('sip:Alice@Example.COM'), 'Alice');
    assert.equal(domainPart('sip:Alice@Example.COM'), 'example.com');
    assert.equal(userPart('sip:a%40b@example.com'), 'a@b');
    assert.equal(domainPart('a@b@example.com'), 'example.com');
    assert.equal(userPart('tel:+1-201-555-0123'), '+12015550123');
    assert.equal(domainPart('tel:+12015550123'), null);
    assert.equal(isTelUserId('<tel:+1>'), true);
    assert.equal(isTelUserId('sip:+1@example.com'), false);
    assert.throws(() => userPart('garbage'), InvalidUserIdError);
  });

  test('toXui', () => {
    assert.equal(toXui('Alice@example.com'), 'sip:Alice@example.com');
    assert.equal(toXui('"Alice" <sips:Alice@EXAMPLE.com;transport=tls>'), 'sip:Alice@example.com');
    assert.equal(toXui('sip:a%40b@example.com'), 'sip:a%40b@example.com');
    assert.equal(toXui('jäsøn@example.com'), 'sip:j%C3%A4s%C3%B8n@example.com');
    assert.equal(toXui('sip:100%25@example.com'), 'sip:100%25@example.com');
    assert.equal(toXui("sip:a-b_c.d!e~f*g'h(i)j&k=l+m$n,o;p?q/r@example.com"), "sip:a-b_c.d!e~f*g'h(i)j&k=l+m$n,o;p?q/r@example.com");
    assert.equal(toXui('tel:+1-201-555-0123'), 'tel:+12015550123');
  });
});
