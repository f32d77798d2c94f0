/**
 * Incremental validation after an attribute PUT or DELETE
 * (CompiledSchema.validateAttributesOf): the element's attributes are validated
 * against its type, with the verdict full validation would give as long as the
 * document was valid before the change.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledSchema } from '../../../src/appusages/xsd/index.js';
import { compile, TNS } from './inline-schema.js';
import { XSI_NAMESPACE, type SchemaModel } from '../../../src/appusages/xsd/model.js';
import { parseSchemaDocument } from '../../../src/appusages/xsd/schema-loader.js';
import { validateStartTag } from '../../../src/appusages/xsd/validator.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';
import { XML_NAMESPACE, type XmlElement } from '../../../src/xcap/xml/tree.js';

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';
const PIDF = 'xmlns="urn:ietf:params:xml:ns:pidf"';
const XSI = `xmlns:xsi="${XSI_NAMESPACE}"`;
const resourceLists = CompiledSchema.load('resource-lists.xsd');
const pidf = CompiledSchema.load('pidf.xsd');

function elements(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => c.kind === 'element');
}

function messages(issues: ReadonlyArray<{ message: string }>): string[] {
  return issues.map((issue) => issue.message);
}


const name = (localName: string, namespace: string | null = null) => ({ namespace, localName });

describe('validateAttributesOf', () => {
  test('an attribute set on an entry of a long list', () => {
    const entries = Array.from({ length: 2000 }, (_, i) => `<entry uri="sip:u${i}@example.com"><display-name>U ${i}</display-name></entry>`);
    const document = parseXmlDocument(`<resource-lists ${RL}>\n<list name="l">\n${entries.join('\n')}\n</list>\n</resource-lists>`);
    const entry = elements(elements(document.root)[0]!)[1234]!;
    assert.deepEqual(resourceLists.validateAttributesOf(document, entry, name('uri')), []);
    assert.deepEqual(resourceLists.validate(document), []);
  });

  test("does not look at the element's content, relying on it having been valid", () => {
    const document = parseXmlDocument(`<resource-lists ${RL}><list name="l"><entry uri="%zz"/><bogus/></list></resource-lists>`);
    const list = elements(document.root)[0]!;
    assert.deepEqual(resourceLists.validateAttributesOf(document, list, name('name')), []);
    assert.equal(resourceLists.validate(document).length, 2);
  });

  test('required attributes, values, attributes not allowed, with their lines', () => {
    const document = parseXmlDocument(
      `<resource-lists ${RL}>\n<list>\n<entry-ref/>\n<entry uri="%zz" foo="1"/>\n<display-name xml:lang="??">x</display-name>\n</list>\n</resource-lists>`,
    );
    const [entryRef, entry] = elements(elements(document.root)[0]!);
    assert.deepEqual(messages(resourceLists.validateAttributesOf(document, entryRef!, name('ref'))), [
      "line 3: element {urn:ietf:params:xml:ns:resource-lists}entry-ref: the required attribute 'ref' is missing",
    ]);
    assert.deepEqual(messages(resourceLists.validateAttributesOf(document, entry!, name('foo'))), [
      "line 4: element {urn:ietf:params:xml:ns:resource-lists}entry: attribute 'uri': '%zz' is not a valid value of type xs:anyURI",
      "line 4: element {urn:ietf:params:xml:ns:resource-lists}entry: attribute 'foo' is not allowed",
    ]);
  });

  test('wildcard attributes: lax ones validated where a global declaration exists', () => {
    const document = parseXmlDocument(
      `<resource-lists ${RL} xmlns:cp="counterpath:properties" xmlns:x="urn:x"><list x:color="blue"><entry><cp:prop name="n" xml:lang="??" other="1"/></entry></list></resource-lists>`,
    );
    const list = elements(document.root)[0]!;
    assert.deepEqual(resourceLists.validateAttributesOf(document, list, name('color', 'urn:x')), []);
    const prop = elements(elements(list)[0]!)[0]!;
    assert.match(messages(resourceLists.validateAttributesOf(document, prop, name('lang', XML_NAMESPACE)))[0]!, /attribute '\{http:\/\/www.w3.org\/XML\/1998\/namespace\}lang': '\?\?' is not valid/);
    // ##other excludes the target namespace: the list's own namespace is not admitted by its wildcard.
    const qualified = parseXmlDocument(`<resource-lists ${RL} xmlns:rl="urn:ietf:params:xml:ns:resource-lists"><list rl:name="x"/></resource-lists>`);
    assert.match(messages(resourceLists.validateAttributesOf(qualified, elements(qualified.root)[0]!, name('name', 'urn:ietf:params:xml:ns:resource-lists')))[0]!, /is not allowed/);
  });

  test('an element of a simple type has no attributes; an undeclared one admitted by a lax wildcard has any', () => {
    const presence = parseXmlDocument(`<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"><status/><timestamp foo="1">2024-01-01T00:00:00Z</timestamp></tuple></presence>`);
    const timestamp = elements(elements(presence.root)[0]!)[1]!;
    assert.match(messages(pidf.validateAttributesOf(presence, timestamp, name('foo')))[0]!, /timestamp: attribute 'foo' is not allowed/);
    const foreign = (attributes: string) => {
      const document = parseXmlDocument(`<resource-lists ${RL} xmlns:x="urn:x"><list><entry><x:a ${attributes}/></entry></list></resource-lists>`);
      return { document, element: elements(elements(elements(document.root)[0]!)[0]!)[0]! };
    };
    const plain = foreign('foo="1" xml:lang="en"');
    assert.deepEqual(resourceLists.validateAttributesOf(plain.document, plain.element, name('foo')), []);
    const declared = foreign('foo="1" xml:lang="??"');
    assert.match(messages(resourceLists.validateAttributesOf(declared.document, declared.element, name('lang', XML_NAMESPACE)))[0]!, /'\?\?' is not valid/);
  });

  test('IDs: clashes with the rest of the document, the descendants and the element itself; xml:id must be an NCName', () => {
    const presence = parseXmlDocument(
      `<presence ${PIDF} xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="pres:a@example.com"><tuple id="p1"><status/></tuple><dm:person id="p1"/></presence>`,
    );
    const tuple = elements(presence.root)[0]!;
    assert.match(messages(pidf.validateAttributesOf(presence, tuple, name('id')))[0]!, /the ID 'p1' is used more than once/);
    const nested = parseXmlDocument(`<resource-lists ${RL}><list xml:id="k"><entry xml:id="k"/></list></resource-lists>`);
    assert.match(messages(resourceLists.validateAttributesOf(nested, elements(nested.root)[0]!, name('id', XML_NAMESPACE)))[0]!, /the ID 'k' is used more than once/);
    const same = parseXmlDocument(`<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1" xml:id="t1"><status/></tuple></presence>`);
    assert.ok(messages(pidf.validateAttributesOf(same, elements(same.root)[0]!, name('id', XML_NAMESPACE))).some((m) => /the ID 't1' is used more than once/.test(m)));
    const unique = parseXmlDocument(`<resource-lists ${RL}><list xml:id="a"><entry xml:id="b"/></list><list xml:id="c"/></resource-lists>`);
    assert.deepEqual(resourceLists.validateAttributesOf(unique, elements(unique.root)[0]!, name('id', XML_NAMESPACE)), []);
    const notName = parseXmlDocument(`<resource-lists ${RL}><list xml:id="1a"/></resource-lists>`);
    assert.match(messages(resourceLists.validateAttributesOf(notName, elements(notName.root)[0]!, name('id', XML_NAMESPACE)))[0]!, /xml:id '1a' is not an NCName/);
  });

  test('the root element', () => {
    const presence = parseXmlDocument(`<presence ${PIDF}><tuple id="t1"><status/></tuple></presence>`);
    assert.match(messages(pidf.validateAttributesOf(presence, presence.root, name('entity')))[0]!, /the required attribute 'entity' is missing/);
  });

  describe('xsi:type and xsi:nil', () => {
    const model = compile(
      `<xs:complexType name="base"><xs:sequence><xs:element name="a" minOccurs="0"/></xs:sequence><xs:attribute name="n" type="xs:integer"/></xs:complexType>
       <xs:complexType name="derived"><xs:complexContent><xs:extension base="t:base"><xs:sequence><xs:element name="b"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
       <xs:element name="r"><xs:complexType><xs:sequence><xs:element name="e" type="t:base"/></xs:sequence></xs:complexType></xs:element>`,
    );
    const typeName = name('type', XSI_NAMESPACE);

    test('a change of either validates everything', () => {
      const document = parseXmlDocument(`<r xmlns="${TNS}" xmlns:t="${TNS}" ${XSI}><e xsi:type="t:derived"><b/></e></r>`);
      const e = elements(document.root)[0]!;
      assert.equal(validateStartTag(model, document, e, typeName), null);
      assert.equal(validateStartTag(model, document, e, name('nil', XSI_NAMESPACE)), null);
      const rl = parseXmlDocument(`<resource-lists ${RL} ${XSI}><list xsi:nil="true"/></resource-lists>`);
      assert.deepEqual(
        resourceLists.validateAttributesOf(rl, elements(rl.root)[0]!, name('nil', XSI_NAMESPACE)),
        resourceLists.validate(rl),
      );
    });

    test('other attributes of an element with xsi:type are validated against the type it names', () => {
      const document = parseXmlDocument(`<r xmlns="${TNS}" xmlns:t="${TNS}" ${XSI}><e xsi:type="t:derived" n="x"><b/></e></r>`);
      const e = elements(document.root)[0]!;
      assert.match(messages(validateStartTag(model, document, e, name('n'))!)[0]!, /attribute 'n': 'x' is not a valid value of type xs:integer/);
    });

    test('without the name of the changed attribute, a removed xsi:type is allowed for', () => {
      // xsi:type="t:derived" was removed: <b/> is not expected in the declared type.
      const document = parseXmlDocument(`<r xmlns="${TNS}"><e n="1"><b/></e></r>`);
      const e = elements(document.root)[0]!;
      assert.match(messages(validateStartTag(model, document, e)!)[0]!, /element \{urn:example:test\}b: not expected here/);
      const withType = parseXmlDocument(`<r xmlns="${TNS}" xmlns:t="${TNS}" ${XSI}><e xsi:type="t:derived"><b/></e></r>`);
      assert.equal(validateStartTag(model, withType, elements(withType.root)[0]!), null);
    });
  });

  test('under a skip wildcard only the parser\'s checks apply', () => {
    const model = compile('<xs:element name="e"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="skip"/></xs:sequence></xs:complexType></xs:element>');
    const document = parseXmlDocument(`<e xmlns="${TNS}"><x:a xmlns:x="urn:x" foo="1" xml:lang="??"><x:b xml:id="1a"/></x:a></e>`);
    const skipped = elements(document.root)[0]!;
    assert.deepEqual(validateStartTag(model, document, skipped, name('foo')), []);
    assert.match(messages(validateStartTag(model, document, elements(skipped)[0]!, name('id', XML_NAMESPACE))!)[0]!, /xml:id '1a' is not an NCName/);
  });
});
