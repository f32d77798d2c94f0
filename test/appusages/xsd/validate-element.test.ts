/**
 * Incremental validation (CompiledSchema.validateElement): the parent's children and
 * the edited subtree are validated, with the verdict full validation would give as
 * long as the rest of the document was valid before.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledSchema } from '../../../src/appusages/xsd/index.js';
import { SchemaCompiler } from '../../../src/appusages/xsd/compiler.js';
import { parseSchemaDocument } from '../../../src/appusages/xsd/schema-loader.js';
import { validateSubtree } from '../../../src/appusages/xsd/validator.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';
import type { XmlDocument, XmlElement } from '../../../src/xcap/xml/tree.js';

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';
const resourceLists = CompiledSchema.load('resource-lists.xsd');

function elements(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => c.kind === 'element');
}

function list(entries: string): XmlDocument {
  return parseXmlDocument(`<resource-lists ${RL}>\n<list name="l">\n${entries}\n</list>\n</resource-lists>`);
}

describe('validateElement', () => {
  test('a valid new entry in a long list', () => {
    const entries = Array.from({ length: 2000 }, (_, i) => `<entry uri="sip:u${i}@example.com"><display-name>U ${i}</display-name></entry>`);
    const document = list(entries.join('\n'));
    const target = elements(elements(document.root)[0]!)[1234]!;
    assert.deepEqual(resourceLists.validateElement(document, target), []);
    assert.deepEqual(resourceLists.validate(document), []);
  });

  test('validates only the element and its parent\'s children, relying on the rest having been valid', () => {
    // The first list is invalid, but it is not the context of the edited entry.
    const document = parseXmlDocument(
      `<resource-lists ${RL}><list><bogus/></list><list><entry uri="sip:a@example.com"/></list></resource-lists>`,
    );
    const entry = elements(elements(document.root)[1]!)[0]!;
    assert.deepEqual(resourceLists.validateElement(document, entry), []);
    assert.equal(resourceLists.validate(document).length, 1);
  });

  test('reports problems inside the element, with their lines', () => {
    const document = list('<entry uri="sip:a@example.com"/>\n<entry uri="%zz"><display-name xml:lang="??">x</display-name></entry>');
    const target = elements(elements(document.root)[0]!)[1]!;
    assert.deepEqual(
      resourceLists.validateElement(document, target).map((issue) => issue.message),
      [
        "line 4: element {urn:ietf:params:xml:ns:resource-lists}entry: attribute 'uri': '%zz' is not a valid value of type xs:anyURI",
        "line 4: element {urn:ietf:params:xml:ns:resource-lists}display-name: attribute '{http://www.w3.org/XML/1998/namespace}lang': '??' is not valid for any member type of an anonymous type",
      ],
    );
  });

  test("reports an element its parent's content model does not admit there", () => {
    const document = list('<entry uri="sip:a@example.com"/>\n<display-name>late</display-name>');
    const target = elements(elements(document.root)[0]!)[1]!;
    assert.match(resourceLists.validateElement(document, target)[0]!.message, /^line 4: element .*display-name: not expected here/);
  });

  test('an ID that clashes with one elsewhere in the document is found (by validating everything)', () => {
    const document = parseXmlDocument(
      `<resource-lists ${RL}><list xml:id="k"><entry/></list><list><entry xml:id="k"/></list></resource-lists>`,
    );
    const entry = elements(elements(document.root)[1]!)[0]!;
    assert.match(resourceLists.validateElement(document, entry)[0]!.message, /the ID 'k' is used more than once/);
    const pidf = CompiledSchema.load('pidf.xsd');
    const presence = parseXmlDocument(
      '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="a"><tuple id="t1"><status/></tuple><dm:person id=" t1 "/></presence>',
    );
    const person = elements(presence.root)[1]!;
    assert.match(pidf.validateElement(presence, person)[0]!.message, /the ID 't1' is used more than once/);
  });

  test('the root element, and elements under lax and skip wildcards', () => {
    const document = parseXmlDocument(`<resource-lists ${RL} xmlns:x="urn:x"><list><entry><x:a><x:b foo="1"/></x:a></entry></list></resource-lists>`);
    assert.deepEqual(resourceLists.validateElement(document, document.root), []);
    const inner = elements(elements(elements(elements(document.root)[0]!)[0]!)[0]!)[0]!;
    assert.deepEqual(resourceLists.validateElement(document, inner), []);
    const prop = parseXmlDocument(`<resource-lists ${RL} xmlns:x="urn:x" xmlns:cp="counterpath:properties"><list><entry><x:a><cp:prop/></x:a></entry></list></resource-lists>`);
    const nested = elements(elements(elements(elements(prop.root)[0]!)[0]!)[0]!)[0]!;
    assert.match(resourceLists.validateElement(prop, nested)[0]!.message, /the required attribute 'name' is missing/);
  });

  test('where an element name is validated differently at different places, everything is validated', () => {
    const TNS = 'urn:example:test';
    const model = new SchemaCompiler([
      parseSchemaDocument(
        'test.xsd',
        `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="${TNS}" elementFormDefault="qualified">
           <xs:element name="e"><xs:complexType><xs:sequence>
             <xs:element name="a" type="xs:boolean"/><xs:any processContents="lax" minOccurs="0"/>
           </xs:sequence></xs:complexType></xs:element>
         </xs:schema>`,
      ),
    ]).compile();
    // The second <a> is matched by the wildcard, which knows no declaration for it: "x" is fine there.
    const document = parseXmlDocument(`<e xmlns="${TNS}"><a>true</a><a>x</a></e>`);
    const [first, second] = elements(document.root);
    assert.equal(validateSubtree(model, document, first!), null);
    assert.equal(validateSubtree(model, document, second!), null);
  });
});
