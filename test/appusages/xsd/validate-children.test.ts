/**
 * Incremental validation after an element DELETE (CompiledSchema.validateChildrenOf):
 * the parent's sequence of children is validated, without entering the children,
 * with the verdict full validation would give as long as the document was valid
 * before the removal.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledSchema } from '../../../src/appusages/xsd/index.js';
import { SchemaCompiler } from '../../../src/appusages/xsd/compiler.js';
import { compile, TNS } from './inline-schema.js';
import type { SchemaModel } from '../../../src/appusages/xsd/model.js';
import { loadSchemaSet, parseSchemaDocument } from '../../../src/appusages/xsd/schema-loader.js';
import { validateChildren } from '../../../src/appusages/xsd/validator.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';
import type { XmlElement } from '../../../src/xcap/xml/tree.js';

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';
const PIDF = 'xmlns="urn:ietf:params:xml:ns:pidf"';
const resourceLists = CompiledSchema.load('resource-lists.xsd');
const pidf = CompiledSchema.load('pidf.xsd');

function elements(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => c.kind === 'element');
}


describe('validateChildrenOf', () => {
  test('a long list after one of its entries was removed', () => {
    const entries = Array.from({ length: 2000 }, (_, i) => `<entry uri="sip:u${i}@example.com"><display-name>U ${i}</display-name></entry>`);
    entries.splice(1234, 1);
    const document = parseXmlDocument(`<resource-lists ${RL}>\n<list name="l">\n${entries.join('\n')}\n</list>\n</resource-lists>`);
    const list = elements(document.root)[0]!;
    assert.deepEqual(resourceLists.validateChildrenOf(document, list), []);
    assert.deepEqual(resourceLists.validate(document), []);
  });

  test("does not enter the parent's children, relying on them having been valid", () => {
    // Both entries are invalid; a removal next to them cannot have made them so.
    const document = parseXmlDocument(
      `<resource-lists ${RL}><list><entry uri="%zz"/><entry bogus="1"><display-name><b/></display-name></entry></list></resource-lists>`,
    );
    const list = elements(document.root)[0]!;
    assert.deepEqual(resourceLists.validateChildrenOf(document, list), []);
    assert.equal(resourceLists.validate(document).length, 3);
  });

  test('a required child removed makes the content incomplete', () => {
    // <status> removed from a tuple.
    const document = parseXmlDocument(`<presence ${PIDF} entity="pres:a@example.com">\n<tuple id="t1">\n  \n  <contact>sip:a@example.com</contact>\n</tuple>\n</presence>`);
    const tuple = elements(document.root)[0]!;
    const issues = pidf.validateChildrenOf(document, tuple).map((issue) => issue.message);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^line 4: element \{urn:ietf:params:xml:ns:pidf\}contact: not expected here; expected \{urn:ietf:params:xml:ns:pidf\}status$/);
    assert.equal(pidf.validate(document).length > 0, true);
    const empty = parseXmlDocument(`<presence ${PIDF} entity="pres:a@example.com"><tuple id="t1"> </tuple></presence>`);
    assert.match(pidf.validateChildrenOf(empty, elements(empty.root)[0]!)[0]!.message, /^line 1: element .*tuple: content is incomplete; expected .*status$/);
  });

  test("the parent's character data is checked: joined white space in element-only content, any text in mixed content", () => {
    const blank = parseXmlDocument(`<resource-lists ${RL}><list>\n  \n  <entry/></list></resource-lists>`);
    assert.deepEqual(resourceLists.validateChildrenOf(blank, elements(blank.root)[0]!), []);
    const text = parseXmlDocument(`<resource-lists ${RL}><list> a <entry/></list></resource-lists>`);
    assert.match(resourceLists.validateChildrenOf(text, elements(text.root)[0]!)[0]!.message, /character content other than white space is not allowed/);
    const mixed = parseXmlDocument(
      `<resource-lists ${RL} xmlns:cp="counterpath:properties"><list><entry><cp:prop name="n">one two</cp:prop></entry></list></resource-lists>`,
    );
    const prop = elements(elements(elements(mixed.root)[0]!)[0]!)[0]!;
    assert.deepEqual(resourceLists.validateChildrenOf(mixed, prop), []);
  });

  test('the root, and parents admitted by a lax wildcard', () => {
    const document = parseXmlDocument(`<resource-lists ${RL} xmlns:x="urn:x"><list><entry><x:a>text<x:b/></x:a></entry></list></resource-lists>`);
    assert.deepEqual(resourceLists.validateChildrenOf(document, document.root), []);
    const foreign = elements(elements(elements(document.root)[0]!)[0]!)[0]!;
    assert.deepEqual(resourceLists.validateChildrenOf(document, foreign), []);
    const misplaced = parseXmlDocument(`<resource-lists ${RL}><list/><display-name>x</display-name></resource-lists>`);
    assert.match(resourceLists.validateChildrenOf(misplaced, misplaced.root)[0]!.message, /display-name: not expected here/);
  });

  test('under a skip wildcard nothing is validated', () => {
    const model = compile('<xs:element name="e"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="skip"/></xs:sequence></xs:complexType></xs:element>');
    const document = parseXmlDocument(`<e xmlns="${TNS}"><x:a xmlns:x="urn:x">text<x:b/></x:a></e>`);
    assert.deepEqual(validateChildren(model, document, elements(document.root)[0]!), []);
    assert.deepEqual(validateChildren(model, document, document.root), []);
  });

  test('where an element name is validated differently at different places, everything is validated', () => {
    const model = compile(
      `<xs:element name="e"><xs:complexType><xs:sequence>
         <xs:element name="a" type="xs:boolean"/><xs:any processContents="lax" minOccurs="0"/>
       </xs:sequence></xs:complexType></xs:element>`,
    );
    // <a>true</a><a>x</a> was valid: the second <a> was matched by the wildcard, which knows no declaration
    // for it. With the first removed, the declaration matches it, and "x" is no boolean.
    const document = parseXmlDocument(`<e xmlns="${TNS}"><a>x</a></e>`);
    assert.equal(validateChildren(model, document, document.root), null);
  });

  test('a parent whose path does not validate makes everything validated', () => {
    const document = parseXmlDocument(`<resource-lists ${RL}><list><bogus/><list><entry/></list></list></resource-lists>`);
    const inner = elements(elements(document.root)[0]!)[1]!;
    assert.equal(validateChildren(new SchemaCompiler(loadSchemaSet('resource-lists.xsd')).compile(), document, inner), null);
    assert.deepEqual(resourceLists.validateChildrenOf(document, inner), resourceLists.validate(document));
  });

  test('a schema making one part of a document refer to another cannot be compiled (removals rely on it)', () => {
    for (const body of [
      '<xs:element name="e"><xs:complexType><xs:attribute name="r" type="xs:IDREF"/></xs:complexType></xs:element>',
      '<xs:element name="e"><xs:complexType><xs:attribute name="r" type="xs:IDREFS"/></xs:complexType></xs:element>',
      '<xs:element name="e"><xs:complexType/><xs:key name="k"><xs:selector xpath="."/><xs:field xpath="@a"/></xs:key></xs:element>',
      '<xs:element name="e"><xs:complexType/><xs:keyref name="k" refer="t:k"><xs:selector xpath="."/><xs:field xpath="@a"/></xs:keyref></xs:element>',
    ]) {
      assert.throws(() => compile(body), /unsupported XSD feature/, body);
    }
  });
});
