import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { diag } from 'libxml2-wasm';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import type { SchemaValidationIssue } from '../../src/appusages/schema-validator.js';

const schemaDirectory = new URL('../../src/schemas/', import.meta.url);
const documentDirectory = new URL('../fixtures/documents/', import.meta.url);

function fixture(name: string): string {
  return readFileSync(new URL(name, documentDirectory), 'utf8');
}

function validate(schema: string, text: string): SchemaValidationIssue[] {
  return SchemaValidator.load(schema).validate(text);
}

/** Asserts that validation fails and that some issue's message matches `pattern`. */
function assertRejected(schema: string, text: string, pattern: RegExp): SchemaValidationIssue[] {
  const issues = validate(schema, text);
  assert.ok(issues.length > 0, `expected ${schema} to reject:\n${text}`);
  assert.ok(
    issues.some((issue) => pattern.test(issue.message)),
    `no issue matches ${pattern}: ${JSON.stringify(issues, null, 2)}`,
  );
  return issues;
}

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';
const PIDF = 'xmlns="urn:ietf:params:xml:ns:pidf"';
const CP_PR = 'xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"';
const OMA = `${CP_PR} xmlns:ocp="urn:oma:xml:xdm:common-policy" xmlns:op="urn:oma:xml:prs:pres-rules"`;

function presRule(body: string, namespaces = CP_PR): string {
  return `<cr:ruleset ${namespaces}><cr:rule id="r1">${body}</cr:rule></cr:ruleset>`;
}

describe('schemas', () => {
  const schemaFiles = readdirSync(schemaDirectory).filter((name) => name.endsWith('.xsd')).sort();

  test('the schema directory holds every schema the application usages need', () => {
    for (const expected of [
      'resource-lists.xsd', 'rls-services.xsd', 'common-policy.xsd', 'pres-rules.xsd',
      'oma-common-policy.xsd', 'oma-pres-rules.xsd', 'pidf.xsd', 'data-model.xsd', 'rpid.xsd',
      'xcap-caps.xsd', 'xcap-error.xsd', 'xcap-diff.xsd', 'xcap-directory.xsd', 'pres-content.xsd',
      'counterpath-properties.xsd', 'xml.xsd',
    ]) {
      assert.ok(schemaFiles.includes(expected), `missing ${expected}`);
    }
  });

  for (const schemaFile of schemaFiles) {
    test(`${schemaFile} compiles and rejects a foreign root element`, () => {
      const issues = validate(schemaFile, '<unrelated xmlns="urn:example:nothing"/>');
      assert.equal(issues.length, 1);
      assert.match(issues[0]!.message, /No matching global declaration available for the validation root/);
    });
  }
});

describe('examples from the RFCs and from phones validate', () => {
  const examples: ReadonlyArray<readonly [document: string, schema: string]> = [
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

  for (const [document, schema] of examples) {
    test(`${document} is valid against ${schema}`, () => {
      assert.deepEqual(validate(schema, fixture(document)), []);
    });
  }

  test('every fixture document is exercised', () => {
    const used = new Set(examples.map(([document]) => document));
    const unused = readdirSync(documentDirectory).filter((name) => name.endsWith('.xml') && !used.has(name));
    assert.deepEqual(unused, []);
  });
});

describe('resource-lists', () => {
  test('an attribute the schema does not allow is reported with its line', () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists ${RL}>
  <list name="friends">
    <entry uri="sip:bill@example.com" foo="bar"/>
  </list>
</resource-lists>`;
    assert.deepEqual(validate('resource-lists.xsd', text), [
      {
        message:
          "line 4: Element '{urn:ietf:params:xml:ns:resource-lists}entry', attribute 'foo': The attribute 'foo' is not allowed.",
        line: 4,
      },
    ]);
  });

  test('an unknown element of the resource-lists namespace is rejected', () => {
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL}><list><entry uri="sip:a@example.com"><nickname>A</nickname></entry></list></resource-lists>`,
      /Element '\{urn:ietf:params:xml:ns:resource-lists\}nickname': This element is not expected/,
    );
  });

  test('a missing required attribute is rejected', () => {
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL}><list><entry-ref/></list></resource-lists>`,
      /Element '\{urn:ietf:params:xml:ns:resource-lists\}entry-ref': The attribute 'ref' is required but missing/,
    );
  });

  test('elements out of order are rejected', () => {
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL}><list><entry uri="sip:a@example.com"/><display-name>late</display-name></list></resource-lists>`,
      /display-name': This element is not expected/,
    );
  });

  test('another application usage\'s document is the wrong root', () => {
    assertRejected(
      'resource-lists.xsd',
      fixture('rfc4826-rls-services.xml'),
      /rls-services\}rls-services': No matching global declaration available for the validation root/,
    );
  });

  test('extension elements and attributes of other namespaces are accepted (lax wildcards)', () => {
    const text = `<resource-lists ${RL} xmlns:x="urn:example:ext">
  <list name="l" x:color="blue"><entry uri="sip:a@example.com" x:flag="1"><x:note>hi</x:note></entry><x:tail/></list>
</resource-lists>`;
    assert.deepEqual(validate('resource-lists.xsd', text), []);
  });

  test('an entry without uri is accepted, as in the phones\' phone book (a deliberate deviation from RFC 4826)', () => {
    assert.deepEqual(validate('resource-lists.xsd', `<resource-lists ${RL}><list><entry/></list></resource-lists>`), []);
  });

  test('counterpath properties: any name and value is accepted, a prop without name is not', () => {
    const ok = `<resource-lists ${RL} xmlns:cp="counterpath:properties"><list name="Contact List"><entry>
      <cp:prop name="business_number#7" value=""/><cp:prop name="x-custom" value="ünïcødé &amp; &lt;stuff&gt;"/>
    </entry></list></resource-lists>`;
    assert.deepEqual(validate('resource-lists.xsd', ok), []);
    assertRejected(
      'resource-lists.xsd',
      `<resource-lists ${RL} xmlns:cp="counterpath:properties"><list><entry><cp:prop value="Max"/></entry></list></resource-lists>`,
      /Element '\{counterpath:properties\}prop': The attribute 'name' is required but missing/,
    );
  });
});

describe('rls-services', () => {
  const RLS = 'xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists"';

  test('a service without uri is rejected', () => {
    assertRejected(
      'rls-services.xsd',
      `<rls-services ${RLS}><service><resource-list>http://x.example.com/l</resource-list></service></rls-services>`,
      /service': The attribute 'uri' is required but missing/,
    );
  });

  test('a service with neither resource-list nor list is rejected', () => {
    assertRejected(
      'rls-services.xsd',
      `<rls-services ${RLS}><service uri="sip:s@example.com"><packages><package>presence</package></packages></service></rls-services>`,
      /packages': This element is not expected/,
    );
  });

  test('the inline list is checked against the imported resource-lists schema', () => {
    assertRejected(
      'rls-services.xsd',
      `<rls-services ${RLS}><service uri="sip:s@example.com"><list><rl:entry/><rl:entry-ref/></list></service></rls-services>`,
      /resource-lists\}entry-ref': The attribute 'ref' is required but missing/,
    );
  });
});

describe('common-policy and pres-rules', () => {
  test('many/except identities and several validity windows are accepted', () => {
    const text = `<ruleset xmlns="urn:ietf:params:xml:ns:common-policy">
  <rule id="r1"><conditions><identity><many domain="example.com"><except id="sip:eve@example.com"/></many><many/></identity>
  <validity><from>2024-01-01T00:00:00Z</from><until>2024-01-02T00:00:00Z</until><from>2024-02-01T00:00:00Z</from><until>2024-02-02T00:00:00Z</until></validity>
  </conditions></rule>
</ruleset>`;
    assert.deepEqual(validate('common-policy.xsd', text), []);
  });

  test('a rule without id, an empty identity, and duplicate rule ids are rejected', () => {
    const CP = 'xmlns="urn:ietf:params:xml:ns:common-policy"';
    assertRejected('common-policy.xsd', `<ruleset ${CP}><rule/></ruleset>`, /rule': The attribute 'id' is required but missing/);
    assertRejected(
      'common-policy.xsd',
      `<ruleset ${CP}><rule id="r1"><conditions><identity/></conditions></rule></ruleset>`,
      /identity': Missing child element/,
    );
    assertRejected(
      'common-policy.xsd',
      `<ruleset ${CP}><rule id="same"/><rule id="same"/></ruleset>`,
      // libxml2's words for a duplicate xs:ID.
      /attribute 'id': 'same' is not a valid value of the atomic type 'xs:ID'/,
    );
  });

  test('an unknown common-policy element is rejected', () => {
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:conditions><cr:identity><cr:one id="sip:a@example.com"/></cr:identity></cr:conditions><cr:effects/>'),
      /common-policy\}effects': This element is not expected/,
    );
  });

  test('an invalid sub-handling value names the value', () => {
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:actions><pr:sub-handling>maybe</pr:sub-handling></cr:actions>'),
      /pres-rules\}sub-handling': \[facet 'enumeration'\] The value 'maybe' is not an element of the set/,
    );
  });

  test('an unknown pres-rules element inside provide-services is rejected', () => {
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:transformations><pr:provide-services><pr:all-the-things/></pr:provide-services></cr:transformations>'),
      /pres-rules\}all-the-things': This element is not expected/,
    );
  });

  test('provide-unknown-attribute needs both ns and name', () => {
    assertRejected(
      'pres-rules.xsd',
      presRule('<cr:transformations><pr:provide-unknown-attribute name="foo">true</pr:provide-unknown-attribute></cr:transformations>'),
      /provide-unknown-attribute': The attribute 'ns' is required but missing/,
    );
  });
});

describe('OMA pres-rules', () => {
  test('OMA conditions are checked: external-list takes only entries', () => {
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:conditions><ocp:external-list><ocp:list anc="http://x.example.com/l"/></ocp:external-list></cr:conditions>', OMA),
      /xdm:common-policy\}list': This element is not expected/,
    );
  });

  test('OMA transformations are typed', () => {
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:transformations><op:provide-willingness>yes</op:provide-willingness></cr:transformations>', OMA),
      /prs:pres-rules\}provide-willingness': 'yes' is not a valid value/,
    );
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:transformations><op:provide-geopriv>partial</op:provide-geopriv></cr:transformations>', OMA),
      /provide-geopriv': \[facet 'enumeration'\] The value 'partial'/,
    );
  });

  test('the IETF pres-rules are still checked through the OMA entry schema', () => {
    assertRejected(
      'oma-pres-rules.xsd',
      presRule('<cr:actions><pr:sub-handling>perhaps</pr:sub-handling></cr:actions>', OMA),
      /The value 'perhaps' is not an element of the set/,
    );
  });
});

describe('pidf', () => {
  test('a tuple without id and an unknown basic status are rejected', () => {
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple><status/></tuple></presence>`,
      /tuple': The attribute 'id' is required but missing/,
    );
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status><basic>busy</basic></status></tuple></presence>`,
      /basic': \[facet 'enumeration'\] The value 'busy' is not an element of the set/,
    );
  });

  test('a presence without entity and an unknown PIDF element are rejected', () => {
    assertRejected('pidf.xsd', `<presence ${PIDF}/>`, /presence': The attribute 'entity' is required but missing/);
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status/><mood>happy</mood></tuple></presence>`,
      /pidf\}mood': This element is not expected/,
    );
  });

  test('a contact priority outside 0..1 is rejected', () => {
    assertRejected(
      'pidf.xsd',
      `<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status/><contact priority="1.5">sip:a@example.com</contact></tuple></presence>`,
      /contact', attribute 'priority'/,
    );
  });

  test('data-model and RPID extensions are checked where they appear', () => {
    const namespaces = `${PIDF} xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"`;
    assertRejected(
      'pidf.xsd',
      `<presence ${namespaces} entity="pres:a@example.com"><dm:person/></presence>`,
      /data-model\}person': The attribute 'id' is required but missing/,
    );
    assertRejected(
      'pidf.xsd',
      `<presence ${namespaces} entity="pres:a@example.com"><dm:person id="p1"><rpid:activities><rpid:dancing/></rpid:activities></dm:person></presence>`,
      /rpid\}dancing': This element is not expected/,
    );
    assertRejected(
      'pidf.xsd',
      `<presence ${namespaces} entity="pres:a@example.com"><dm:device id="d1"><rpid:user-input>asleep</rpid:user-input><dm:deviceID>urn:x</dm:deviceID></dm:device></presence>`,
      /user-input': \[facet 'enumeration'\] The value 'asleep'/,
    );
  });

  test('extensions whose schema is not shipped validate (lax processing)', () => {
    const text = `<presence ${PIDF} xmlns:geo="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:v="urn:example:vendor" entity="pres:a@example.com">
  <tuple id="t1"><status><basic>open</basic><geo:geopriv><geo:location-info anything="goes"/></geo:geopriv></status><v:whatever x="1"/></tuple>
  <v:top><v:deep><v:deeper/></v:deep></v:top>
</presence>`;
    assert.deepEqual(validate('pidf.xsd', text), []);
  });
});

describe('xcap-caps, xcap-error, xcap-diff and the OMA documents', () => {
  test('xcap-caps without namespaces is rejected', () => {
    assertRejected(
      'xcap-caps.xsd',
      '<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"><auids/><extensions/></xcap-caps>',
      /xcap-caps\}xcap-caps': Missing child element/,
    );
  });

  test('xcap-error takes exactly one known condition', () => {
    const XE = 'xmlns="urn:ietf:params:xml:ns:xcap-error"';
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><not-utf-8/><cannot-delete/></xcap-error>`, /cannot-delete': This element is not expected/);
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><out-of-coffee/></xcap-error>`, /out-of-coffee': This element is not expected/);
    assertRejected('xcap-error.xsd', `<xcap-error ${XE}><uniqueness-failure/></xcap-error>`, /uniqueness-failure': Missing child element/);
    assert.deepEqual(validate('xcap-error.xsd', `<xcap-error ${XE}><schema-validation-error phrase="line 4: bad"/></xcap-error>`), []);
  });

  test('xcap-diff: a document needs sel, and patch selectors must be XPath', () => {
    const XD = 'xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://xcap.example.com/"';
    assertRejected('xcap-diff.xsd', `<xcap-diff ${XD}><document new-etag="1"/></xcap-diff>`, /document': The attribute 'sel' is required but missing/);
    assertRejected(
      'xcap-diff.xsd',
      `<xcap-diff ${XD}><document sel="resource-lists/users/sip:a@example.com/index"><remove sel="a[@b='c'"/></document></xcap-diff>`,
      /remove', attribute 'sel': \[facet 'pattern'\]/,
    );
    assert.deepEqual(
      validate('xcap-diff.xsd', `<xcap-diff ${XD}><document sel="d"><add sel="x:a/x:b[2]" type="@id">1</add><remove sel="id('k')/@x" ws="both"/></document></xcap-diff>`),
      [],
    );
  });

  test('xcap-directory entries need an etag; pres-content needs data', () => {
    assertRejected(
      'xcap-directory.xsd',
      '<xcap-directory xmlns="urn:oma:xml:xdm:xcap-directory"><folder auid="resource-lists"><entry uri="http://x.example.com/d"/></folder></xcap-directory>',
      /entry': The attribute 'etag' is required but missing/,
    );
    assertRejected(
      'pres-content.xsd',
      '<content xmlns="urn:oma:xml:prs:pres-content"><mime-type>image/png</mime-type></content>',
      /content': Missing child element/,
    );
  });
});

describe('SchemaValidator', () => {
  test('load() compiles a schema once and returns the cached validator', () => {
    assert.equal(SchemaValidator.load('resource-lists.xsd'), SchemaValidator.load('resource-lists.xsd'));
    assert.equal(SchemaValidator.load('./resource-lists.xsd'), SchemaValidator.load('resource-lists.xsd'));
  });

  test('load() refuses files outside the schema directory and files that do not exist', () => {
    assert.throws(() => SchemaValidator.load('../appusages/schema-validator.ts'), /Not a schema file/);
    assert.throws(() => SchemaValidator.load('/etc/passwd'), /Not a schema file/);
    assert.throws(() => SchemaValidator.load('no-such-schema.xsd'), /ENOENT/);
  });

  test('after dispose() the validator refuses work and load() compiles afresh', () => {
    const first = SchemaValidator.load('xcap-caps.xsd');
    first.dispose();
    first.dispose();
    assert.throws(() => first.validate('<x/>'), /has been disposed/);
    const second = SchemaValidator.load('xcap-caps.xsd');
    assert.notEqual(second, first);
    assert.deepEqual(second.validate(fixture('rfc4825-xcap-caps.xml')), []);
  });

  test('text libxml2 cannot parse is reported as issues, not thrown', () => {
    const issues = validate('resource-lists.xsd', `<resource-lists ${RL}>\n<list>\n</resource-lists>`);
    assert.ok(issues.length > 0);
    assert.ok(issues.every((issue) => issue.line === null || issue.line >= 1));
    assert.ok(issues.some((issue) => /mismatch|end tag|Premature/i.test(issue.message)), JSON.stringify(issues));
  });

  test('the encoding declaration does not matter: the text is already decoded', () => {
    const text = `<?xml version="1.0" encoding="ISO-8859-1"?><resource-lists ${RL}><list name="Jürgen, Zoë, 日本"/></resource-lists>`;
    assert.deepEqual(validate('resource-lists.xsd', text), []);
  });

  test('past line 65534, where libxml2 loses count, an issue names the element\'s position instead', () => {
    const lines = Array.from({ length: 70_000 }, (_, index) => `<entry uri="sip:u${index}@example.com"/>`);
    const text = `<resource-lists ${RL}><list>\n${lines.join('\n')}\n<entry/><bogus/></list></resource-lists>`;
    const issues = validate('resource-lists.xsd', text);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, null);
    assert.match(
      issues[0]!.message,
      /^at \/\*\/\*\/\*\[70002\]: Element '\{urn:ietf:params:xml:ns:resource-lists\}bogus': This element is not expected\./,
    );
  });

  test('external entities and DTDs are not loaded', () => {
    const text = `<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><resource-lists ${RL}><list name="&e;"/></resource-lists>`;
    const issues = validate('resource-lists.xsd', text);
    assert.ok(issues.some((issue) => /external entity 'e'/.test(issue.message)), JSON.stringify(issues));
  });

  test('every parsed document is freed, whatever the outcome', () => {
    const validator = SchemaValidator.load('resource-lists.xsd');
    const documents = [
      fixture('rfc4826-resource-lists.xml'),
      `<resource-lists ${RL}><list><entry-ref/></list></resource-lists>`,
      `<resource-lists ${RL}><list>`,
    ];
    diag.configure({ enabled: true });
    try {
      for (let round = 0; round < 100; round += 1) {
        for (const text of documents) validator.validate(text);
      }
      const report = diag.report() as Record<string, { totalInstances: number }>;
      assert.equal(report['XmlDocument']?.totalInstances ?? 0, 0, JSON.stringify(report));
    } finally {
      diag.configure({ enabled: false });
    }
  });
});
