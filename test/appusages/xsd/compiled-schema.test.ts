import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { SchemaValidator } from '../../../src/appusages/schema-validator.js';
import { CompiledSchema, XsdSchemaError } from '../../../src/appusages/xsd/index.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';
import { fixture } from './differential.js';

const schemaDirectory = new URL('../../../src/schemas/', import.meta.url);
const documentDirectory = new URL('../../fixtures/documents/', import.meta.url);

function validate(schema: string, text: string): string[] {
  return CompiledSchema.load(schema).validate(parseXmlDocument(text)).map((issue) => issue.message);
}

/** Both validators must reject `text`, and one of our messages must match `pattern`. */
function assertRejected(schema: string, text: string, pattern: RegExp): void {
  assert.ok(SchemaValidator.load(schema).validate(text).length > 0, `libxml2 accepts ${text}`);
  const issues = validate(schema, text);
  assert.ok(issues.length > 0, `expected ${schema} to reject:\n${text}`);
  assert.ok(
    issues.some((message) => pattern.test(message)),
    `no issue matches ${pattern}: ${JSON.stringify(issues, null, 2)}`,
  );
}

function assertAccepted(schema: string, text: string): void {
  assert.deepEqual(SchemaValidator.load(schema).validate(text), [], `libxml2 rejects ${text}`);
  assert.deepEqual(validate(schema, text), []);
}

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';
const PIDF = 'xmlns="urn:ietf:params:xml:ns:pidf"';
const CP_PR = 'xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"';
const OMA = `${CP_PR} xmlns:ocp="urn:oma:xml:xdm:common-policy" xmlns:op="urn:oma:xml:prs:pres-rules"`;
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema"';

function presRule(body: string, namespaces = CP_PR): string {
  return `<cr:ruleset ${namespaces}><cr:rule id="r1">${body}</cr:rule></cr:ruleset>`;
}

const EXAMPLES: ReadonlyArray<readonly [document: string, schema: string]> = [
  ['rfc4826-resource-lists.xml', 'resource-lists.xsd'],
  ['snom-tbook.xml', 'resource-lists.xsd'],
  ['rfc4826-rls-services.xml', 'rls-services.xsd'],
  ['rfc4745-common-policy.xml', 'common-policy.xsd'],
  ['rfc5025-pres-rules.xml', 'pres-rules.xsd'],
  ['rfc5025-pres-rules.xml', 'oma-pres-rules.xsd'],
  ['oma-pres-rules.xml', 'oma-pres-rules.xsd'],
  ['rfc3863-pidf-basic.xml', 'pidf.xsd'],
  ['rfc3863-pidf-status-extension.xml', 'pidf.xsd'],
  ['rfc3863-pidf-must-understand.xml', 'pidf.xsd'],
  ['rfc4479-data-model.xml', 'pidf.xsd'],
  ['rfc4480-rpid.xml', 'pidf.xsd'],
  ['pidf-manipulation-person.xml', 'pidf.xsd'],
  ['rfc4825-xcap-caps.xml', 'xcap-caps.xsd'],
  ['rfc4825-xcap-error-uniqueness.xml', 'xcap-error.xsd'],
  ['rfc4825-xcap-error-no-parent.xml', 'xcap-error.xsd'],
  ['rfc5874-xcap-diff.xml', 'xcap-diff.xsd'],
  ['rfc5874-xcap-diff-aggregated.xml', 'xcap-diff.xsd'],
  ['oma-xcap-directory.xml', 'xcap-directory.xsd'],
  ['oma-pres-content.xml', 'pres-content.xsd'],
];

const schemaFiles = readdirSync(schemaDirectory).filter((name) => name.endsWith('.xsd')).sort();
const documentFiles = readdirSync(documentDirectory).filter((name) => name.endsWith('.xml')).sort();

describe('every schema and every fixture', () => {
  for (const schema of schemaFiles) {
    test(`${schema} compiles and refuses a foreign root element`, () => {
      const issues = validate(schema, '<unrelated xmlns="urn:example:nothing"/>');
      assert.equal(issues.length, 1);
      assert.match(issues[0]!, /^line 1: element \{urn:example:nothing\}unrelated: no global element declaration/);
    });
  }

  for (const [document, schema] of EXAMPLES) {
    test(`${document} is valid against ${schema}`, () => {
      assert.deepEqual(validate(schema, fixture(document)), []);
    });
  }

  test('every fixture gets the same verdict as with libxml2 against every schema', () => {
    let valid = 0;
    for (const schema of schemaFiles) {
      for (const document of documentFiles) {
        const text = fixture(document);
        const ours = validate(schema, text).length === 0;
        const theirs = SchemaValidator.load(schema).validate(text).length === 0;
        assert.equal(ours, theirs, `${document} against ${schema}`);
        if (ours) valid += 1;
      }
    }
    // The pairs above, plus the documents another schema also admits through its imports.
    assert.ok(valid >= EXAMPLES.length, `only ${valid} valid pairs`);
  });
});

describe('the rejections of schema-validator.test.ts', () => {
  test('resource-lists', () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists ${RL}>
  <list name="friends">
    <entry uri="sip:bill@example.com" foo="bar"/>
  </list>
</resource-lists>`;
    assert.deepEqual(validate('resource-lists.xsd', text), [
      "line 4: element {urn:ietf:params:xml:ns:resource-lists}entry: attribute 'foo' is not allowed",
    ]);
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL}><list><entry uri="sip:a@example.com"><nickname>A</nickname></entry></list></resource-lists>`,
      /element \{urn:ietf:params:xml:ns:resource-lists\}nickname: not expected here; expected one of \{urn:ietf:params:xml:ns:resource-lists\}display-name, an element of a namespace other than urn:ietf:params:xml:ns:resource-lists/,
    );
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL}><list><entry-ref/></list></resource-lists>`,
      /entry-ref: the required attribute 'ref' is missing/,
    );
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL}><list><entry uri="sip:a@example.com"/><display-name>late</display-name></list></resource-lists>`,
      /display-name: not expected here/,
    );
    assertRejected('resource-lists.xsd', fixture('rfc4826-rls-services.xml'), /rls-services\}rls-services: no global element declaration/);
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL} xmlns:cp="counterpath:properties"><list><entry><cp:prop value="Max"/></entry></list></resource-lists>`,
      /\{counterpath:properties\}prop: the required attribute 'name' is missing/,
    );
  });

  test('resource-lists acceptances: lax wildcards, entries without uri, counterpath properties', () => {
    assertAccepted(
      'resource-lists.xsd',
      `<resource-lists ${RL} xmlns:x="urn:example:ext">
  <list name="l" x:color="blue"><entry uri="sip:a@example.com" x:flag="1"><x:note>hi</x:note></entry><x:tail/></list>
</resource-lists>`,
    );
    assertAccepted('resource-lists.xsd', `<resource-lists ${RL}><list><entry/></list></resource-lists>`);
    assertAccepted(
      'resource-lists.xsd',
      `<resource-lists ${RL} xmlns:cp="counterpath:properties"><list name="Contact List"><entry>
      <cp:prop name="business_number#7" value=""/><cp:prop name="x-custom" value="ünïcødé &amp; &lt;stuff&gt;"/>
    </entry></list></resource-lists>`,
    );
    assertAccepted(
      'resource-lists.xsd',
      `<?xml version="1.0" encoding="ISO-8859-1"?><resource-lists ${RL}><list name="Jürgen, Zoë, 日本"/></resource-lists>`,
    );
  });

  test('rls-services', () => {
    const RLS = 'xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists"';
    assertRejected(
      'rls-services.xsd',
      `<rls-services ${RLS}><service><resource-list>http://x.example.com/l</resource-list></service></rls-services>`,
      /service: the required attribute 'uri' is missing/,
    );
    assertRejected(
      'rls-services.xsd',
      `<rls-services ${RLS}><service uri="sip:s@example.com"><packages><package>presence</package></packages></service></rls-services>`,
      /packages: not expected here/,
    );
    assertRejected(
      'rls-services.xsd',
      `<rls-services ${RLS}><service uri="sip:s@example.com"><list><rl:entry/><rl:entry-ref/></list></service></rls-services>`,
      /resource-lists\}entry-ref: the required attribute 'ref' is missing/,
    );
  });

  test('common-policy and pres-rules', () => {
    const CP = 'xmlns="urn:ietf:params:xml:ns:common-policy"';
    assertAccepted(
      'common-policy.xsd',
      `<ruleset ${CP}>
  <rule id="r1"><conditions><identity><many domain="example.com"><except id="sip:eve@example.com"/></many><many/></identity>
  <validity><from>2024-01-01T00:00:00Z</from><until>2024-01-02T00:00:00Z</until><from>2024-02-01T00:00:00Z</from><until>2024-02-02T00:00:00Z</until></validity>
  </conditions></rule>
</ruleset>`,
    );
    assertRejected('common-policy.xsd', `<ruleset ${CP}><rule/></ruleset>`, /rule: the required attribute 'id' is missing/);
    assertRejected(
      'common-policy.xsd',
      `<ruleset ${CP}><rule id="r1"><conditions><identity/></conditions></rule></ruleset>`,
      /identity: content is incomplete; expected one of/,
    );
    assertRejected(
      'common-policy.xsd',
      `<ruleset ${CP}><rule id="same"/><rule id="same"/></ruleset>`,
      /rule: the ID 'same' is used more than once in the document/,
    );
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:conditions><cr:identity><cr:one id="sip:a@example.com"/></cr:identity></cr:conditions><cr:effects/>'),
      /common-policy\}effects: not expected here/,
    );
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:actions><pr:sub-handling>maybe</pr:sub-handling></cr:actions>'),
      /pres-rules\}sub-handling: 'maybe' is not one of 'block', 'confirm', 'polite-block', 'allow'/,
    );
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:transformations><pr:provide-services><pr:all-the-things/></pr:provide-services></cr:transformations>'),
      /pres-rules\}all-the-things: not expected here/,
    );
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:transformations><pr:provide-unknown-attribute name="foo">true</pr:provide-unknown-attribute></cr:transformations>'),
      /provide-unknown-attribute: the required attribute 'ns' is missing/,
    );
  });

  test('OMA pres-rules', () => {
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:conditions><ocp:external-list><ocp:list anc="http://x.example.com/l"/></ocp:external-list></cr:conditions>', OMA),
      /xdm:common-policy\}list: not expected here/,
    );
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:transformations><op:provide-willingness>yes</op:provide-willingness></cr:transformations>', OMA),
      /prs:pres-rules\}provide-willingness: 'yes' is not a valid value of type xs:boolean/,
    );
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:transformations><op:provide-geopriv>partial</op:provide-geopriv></cr:transformations>', OMA),
      /provide-geopriv: 'partial' is not one of 'false', 'full'/,
    );
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:actions><pr:sub-handling>perhaps</pr:sub-handling></cr:actions>', OMA),
      /'perhaps' is not one of/,
    );
  });

  test('pidf, data model and RPID', () => {
    assertRejected('pidf.xsd', `<presence ${PIDF} entity="pres:a@example.com"><tuple><status/></tuple></presence>`, /tuple: the required attribute 'id' is missing/);
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status><basic>busy</basic></status></tuple></presence>`,
      /basic: 'busy' is not one of 'open', 'closed'/,
    );
    assertRejected('pidf.xsd', `<presence ${PIDF}/>`, /presence: the required attribute 'entity' is missing/);
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status/><mood>happy</mood></tuple></presence>`,
      /pidf\}mood: not expected here/,
    );
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status/><contact priority="1.5">sip:a@example.com</contact></tuple></presence>`,
      /contact: attribute 'priority': '1.5' does not match the patterns of \{urn:ietf:params:xml:ns:pidf\}qvalue/,
    );
    const namespaces = `${PIDF} xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"`;
    assertRejected('pidf.xsd', `<presence ${namespaces} entity="pres:a@example.com"><dm:person/></presence>`, /data-model\}person: the required attribute 'id' is missing/);
    assertRejected(
      'pidf.xsd',
      `<presence ${namespaces} entity="pres:a@example.com"><dm:person id="p1"><rpid:activities><rpid:dancing/></rpid:activities></dm:person></presence>`,
      /rpid\}dancing: not expected here/,
    );
    assertRejected(
      'pidf.xsd',
      `<presence ${namespaces} entity="pres:a@example.com"><dm:device id="d1"><rpid:user-input>asleep</rpid:user-input><dm:deviceID>urn:x</dm:deviceID></dm:device></presence>`,
      /user-input: 'asleep' is not one of 'active', 'idle'/,
    );
    assertAccepted(
      'pidf.xsd',
      `<presence ${PIDF} xmlns:geo="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:v="urn:example:vendor" entity="pres:a@example.com">
  <tuple id="t1"><status><basic>open</basic><geo:geopriv><geo:location-info anything="goes"/></geo:geopriv></status><v:whatever x="1"/></tuple>
  <v:top><v:deep><v:deeper/></v:deep></v:top>
</presence>`,
    );
  });

  test('xcap-caps, xcap-error, xcap-diff, xcap-directory and pres-content', () => {
    assertRejected(
      'xcap-caps.xsd',
      '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids/><extensions/></xcap-caps>',
      /xcap-caps\}xcap-caps: content is incomplete; expected \{urn:ietf:params:xml:ns:xcap-caps\}namespaces/,
    );
    const XE = 'xmlns="urn:ietf:params:xml:ns:xcap-error"';
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><not-utf-8/><cannot-delete/></xcap-error>`, /cannot-delete: not expected here; nothing more is allowed/);
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><out-of-coffee/></xcap-error>`, /out-of-coffee: not expected here/);
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><uniqueness-failure/></xcap-error>`, /uniqueness-failure: content is incomplete/);
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><error-element/></xcap-error>`, /error-element: the element is abstract/);
    assertAccepted('xcap-error.xsd', `<xcap-error ${XE}><schema-validation-error phrase="line 4: bad"/></xcap-error>`);
    const XD = 'xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://xcap.example.com/"';
    assertRejected('xcap-diff.xsd', `<xcap-diff ${XD}><document new-etag="1"/></xcap-diff>`, /document: the required attribute 'sel' is missing/);
    assertRejected(
      'xcap-diff.xsd',
      `<xcap-diff ${XD}><document sel="resource-lists/users/sip:a@example.com/index"><remove sel="a[@b='c'"/></document></xcap-diff>`,
      /remove: attribute 'sel': "?'a\[@b='c''"? does not match the pattern of \{urn:ietf:params:xml:ns:xcap-diff\}xpath/,
    );
    assertAccepted(
      'xcap-diff.xsd',
      `<xcap-diff ${XD}><document sel="d"><add sel="x:a/x:b[2]" type="@id">1</add><remove sel="id('k')/@x" ws="both"/></document></xcap-diff>`,
    );
    assertRejected(
      'xcap-directory.xsd',
      '<xcap-directory xmlns="urn:oma:xml:xdm:xcap-directory"><folder auid="resource-lists"><entry uri="http://x.example.com/d"/></folder></xcap-directory>',
      /entry: the required attribute 'etag' is missing/,
    );
    assertRejected(
      'pres-content.xsd',
      '<content xmlns="urn:oma:xml:prs:pres-content"><mime-type>image/png</mime-type></content>',
      /content: content is incomplete; expected one of/,
    );
  });
});

describe('messages', () => {
  test('issues carry the line of the element or attribute, counted only when reported', () => {
    const text = `<resource-lists ${RL}>\n  <list>\n    <entry\n      uri="%zz"/>\n    <bogus/>\n  </list>\n</resource-lists>`;
    const issues = CompiledSchema.load('resource-lists.xsd').validate(parseXmlDocument(text));
    assert.deepEqual(issues, [
      {
        message: "line 4: element {urn:ietf:params:xml:ns:resource-lists}entry: attribute 'uri': '%zz' is not a valid value of type xs:anyURI",
        line: 4,
      },
      {
        message:
          'line 5: element {urn:ietf:params:xml:ns:resource-lists}bogus: not expected here; expected one of {urn:ietf:params:xml:ns:resource-lists}list, {urn:ietf:params:xml:ns:resource-lists}external, {urn:ietf:params:xml:ns:resource-lists}entry, {urn:ietf:params:xml:ns:resource-lists}entry-ref, an element of a namespace other than urn:ietf:params:xml:ns:resource-lists',
        line: 5,
      },
    ]);
  });

  test('a document with very many problems reports the first hundred and counts the rest', () => {
    const entries = Array.from({ length: 150 }, () => '<entry foo="1"/>').join('\n');
    const issues = validate('resource-lists.xsd', `<resource-lists ${RL}><list>\n${entries}\n</list></resource-lists>`);
    assert.equal(issues.length, 101);
    assert.equal(issues[99], "line 101: element {urn:ietf:params:xml:ns:resource-lists}entry: attribute 'foo' is not allowed");
    assert.equal(issues[100], '50 more issues not shown');
  });

  test('long values are shortened in messages', () => {
    const value = 'x'.repeat(500);
    const [message] = validate('pidf.xsd', `<presence ${PIDF} entity="a"><tuple id="t"><status><basic>${value}</basic></status></tuple></presence>`);
    assert.ok(message!.length < 300, message);
    assert.match(message!, /'x{80}…' is not one of 'open', 'closed'/);
  });
});

describe('xsi: attributes, as libxml2 treats them', () => {
  const doc = (body: string): string => `<resource-lists ${RL} ${XSI} xmlns:rl="urn:ietf:params:xml:ns:resource-lists"><list>${body}</list></resource-lists>`;
  for (const [body, valid] of [
    ['<entry xsi:schemaLocation="a b" xsi:noNamespaceSchemaLocation="%zz"/>', true],
    ['<entry xsi:nil="true"/>', false],
    ['<entry xsi:nil="false"/>', false],
    ['<x:a xmlns:x="urn:x" xsi:nil="maybe"/>', true],
    ['<entry xsi:unknown="1"/>', true],
    ['<display-name xsi:type="rl:display-nameType">x</display-name>', true],
    ['<display-name xsi:type="xs:string">x</display-name>', false],
    ['<entry><display-name xsi:type="rl:display-nameType">x</display-name></entry>', false],
    // A nested list's type is an anonymous extension of rl:listType, so rl:listType is not derived from it.
    ['<list xsi:type="rl:listType"/>', false],
    ['<list xsi:type="rl:entryType"/>', false],
    ['<list xsi:type=" rl:listType"/>', false],
    ['<list xsi:type="rl:nosuch"/>', false],
    ['<list xsi:type="nope:listType"/>', false],
    ['<list xsi:type="xs:anyType"/>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:integer">12</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:integer">twelve</x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="rl:entryType" uri="%zz"/>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:date">2024-02-29</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:date">2023-02-29</x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:duration">P1Y2M3DT4H5M6.7S</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:duration">P1Y2M3DT</x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:hexBinary">0aFf</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:hexBinary">0aF</x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:base64Binary">QUJD</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:base64Binary">QUJ=</x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:double">-INF</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:double">1e</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:float">NaN </x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:unsignedByte">256</x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:long">-9223372036854775808</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:time"> 12:00:00</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:time">12:00:00 </x:a>', false],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:gMonthDay">--02-29</x:a>', true],
    ['<x:a xmlns:x="urn:x" xsi:type="xs:NMTOKEN">a:b-c</x:a>', true],
  ] as const) {
    test(`${body} is ${valid ? 'valid' : 'invalid'}`, () => {
      if (valid) assertAccepted('resource-lists.xsd', doc(body));
      else assertRejected('resource-lists.xsd', doc(body), /xsi:|not a valid value|nillable|not one of|no such type|not derived/);
    });
  }
});

describe('more xsi: cases, against libxml2', () => {
  const XE = 'xmlns="urn:ietf:params:xml:ns:xcap-error"';
  for (const [schema, text] of [
    ['xcap-error.xsd', `<xcap-error ${XE}><extension><error-element/></extension></xcap-error>`],
    ['xcap-error.xsd', `<xcap-error ${XE}><extension><xcap-error><not-utf-8/></xcap-error></extension></xcap-error>`],
    ['xcap-error.xsd', `<xcap-error ${XE} ${XSI} xsi:type="xs:anyType"><not-utf-8/></xcap-error>`],
    ['xcap-error.xsd', `<error-element ${XE} ${XSI} xsi:type="xs:anyType"/>`],
    ['pres-rules.xsd', presRule('<cr:transformations><pr:provide-mood xsi:type="pr:unknownBooleanPermission" name="a" ns="b">true</pr:provide-mood></cr:transformations>', `${CP_PR} ${XSI}`)],
    ['pres-rules.xsd', presRule('<cr:transformations><pr:provide-mood xsi:type="pr:unknownBooleanPermission">true</pr:provide-mood></cr:transformations>', `${CP_PR} ${XSI}`)],
    ['resource-lists.xsd', `<resource-lists ${RL} ${XSI}><list><x:a xmlns:x="urn:x" xsi:type="xs:anyType"><entry foo="1"/></x:a></list></resource-lists>`],
    ['resource-lists.xsd', `<resource-lists ${RL} ${XSI}><list><x:a xmlns:x="urn:x" xsi:type="xs:string" foo="1">s</x:a></list></resource-lists>`],
    // Element content of type xs:ID is not checked for uniqueness (libxml2 registers attributes only).
    ['resource-lists.xsd', `<resource-lists ${RL} ${XSI}><list><x:a xmlns:x="urn:x" xsi:type="xs:ID">a1</x:a><x:b xmlns:x="urn:x" xsi:type="xs:ID">a1</x:b></list></resource-lists>`],
  ] as const) {
    test(text.slice(0, 120), () => {
      const theirs = SchemaValidator.load(schema).validate(text).length === 0;
      assert.equal(validate(schema, text).length === 0, theirs);
    });
  }
});

describe('checks libxml2 makes while parsing', () => {
  test('namespace declarations must hold URIs libxml2 parses', () => {
    for (const uri of ['urn:é', 'a b', 'a{b', 'a#b#c', 'http://[x']) {
      assertRejected('resource-lists.xsd', `<resource-lists ${RL}><list xmlns:q="${uri}"/></resource-lists>`, /xmlns:q: .* is not a valid URI/);
    }
    assertAccepted('resource-lists.xsd', `<resource-lists ${RL}><list xmlns:q="urn:%C3%A9" xmlns:r="relative"/></resource-lists>`);
  });

  test('xml:id values must be NCNames and unique, also against xs:ID attributes', () => {
    assertRejected('resource-lists.xsd', `<resource-lists ${RL}><list xml:id="1a"/></resource-lists>`, /xml:id '1a' is not an NCName/);
    assertRejected('resource-lists.xsd', `<resource-lists ${RL}><list xml:id="a"/><list xml:id="a"/></resource-lists>`, /the ID 'a' is used more than once/);
    assertAccepted('resource-lists.xsd', `<resource-lists ${RL}><list xml:id=" a "/><list xml:id="a"/></resource-lists>`);
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="a"><tuple id="a"><status/></tuple><x:y xmlns:x="urn:x" xml:id="a"/></presence>`,
      /the ID 'a' is used more than once/,
    );
  });

  test('empty content admits no character data at all; element-only content no CDATA section', () => {
    assertRejected('xcap-error.xsd', '<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><not-utf-8> </not-utf-8></xcap-error>', /not even white space/);
    assertRejected('resource-lists.xsd', `<resource-lists ${RL}><list><![CDATA[]]></list></resource-lists>`, /a CDATA section is not allowed/);
    assertAccepted('resource-lists.xsd', `<resource-lists ${RL}><list> <!-- c --> <?pi x?>&#32;</list></resource-lists>`);
  });

  test("libxml2's content models: after a repeated wildcard, the preceding repeated element may come again", () => {
    const P = (body: string): string => `<presence ${PIDF} xmlns:f="urn:f" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="a">${body}</presence>`;
    assertAccepted('pidf.xsd', P('<f:x/><note/>'));
    assertAccepted('pidf.xsd', P('<note/><f:x/><note/>'));
    assertRejected('pidf.xsd', P('<f:x/><tuple id="a"><status/></tuple>'), /tuple: not expected here/);
    assertAccepted('pidf.xsd', P('<dm:person id="p"><rpid:sphere><f:x/><rpid:work/></rpid:sphere></dm:person>'));
    assertAccepted('pidf.xsd', P('<dm:person id="p"><rpid:place-type><f:x/><rpid:other>x</rpid:other></rpid:place-type></dm:person>'));
    assertRejected('pidf.xsd', P('<dm:person id="p"><rpid:sphere><rpid:work/><rpid:home/></rpid:sphere></dm:person>'), /home: not expected here/);
  });
});

describe('CompiledSchema.load', () => {
  test('compiles a schema once and returns the cached one', () => {
    assert.equal(CompiledSchema.load('resource-lists.xsd'), CompiledSchema.load('resource-lists.xsd'));
    assert.equal(CompiledSchema.load('./resource-lists.xsd'), CompiledSchema.load('resource-lists.xsd'));
    assert.equal(CompiledSchema.load('resource-lists.xsd').file, 'resource-lists.xsd');
  });

  test('refuses files outside the schema directory and files that do not exist', () => {
    assert.throws(() => CompiledSchema.load('../appusages/schema-validator.ts'), /Not a schema file/);
    assert.throws(() => CompiledSchema.load('/etc/passwd'), /Not a schema file/);
    assert.throws(() => CompiledSchema.load('no-such-schema.xsd'), /ENOENT/);
  });

  test('XsdSchemaError is exported for callers to tell schema problems apart', () => {
    assert.equal(new XsdSchemaError('x').name, 'XsdSchemaError');
  });
});
