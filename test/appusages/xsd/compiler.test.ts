import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaCompiler } from '../../../src/appusages/xsd/compiler.js';
import type { SchemaModel } from '../../../src/appusages/xsd/model.js';
import { XsdSchemaError, loadSchemaSet, parseSchemaDocument } from '../../../src/appusages/xsd/schema-loader.js';
import { ValidationRun } from '../../../src/appusages/xsd/validator.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';

const TNS = 'urn:example:test';

function schema(body: string, attributes = 'elementFormDefault="qualified"'): string {
  return `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="${TNS}" targetNamespace="${TNS}" ${attributes}>\n${body}\n</xs:schema>`;
}

function compile(body: string, attributes?: string): SchemaModel {
  return new SchemaCompiler([parseSchemaDocument('test.xsd', schema(body, attributes))]).compile();
}

function issues(model: SchemaModel, text: string): string[] {
  const document = parseXmlDocument(text);
  const run = new ValidationRun(model);
  run.validateRoot(document.root);
  return run.issues(document.source).map((issue) => issue.message);
}

describe('unsupported XSD features fail loudly, naming the file and line', () => {
  for (const [feature, body, message] of [
    ['xs:include', '<xs:include schemaLocation="other.xsd"/>', /unsupported XSD feature xs:include in test\.xsd:2/],
    ['xs:group', '<xs:group name="g"><xs:sequence/></xs:group>', /unsupported XSD feature xs:group in test\.xsd:2/],
    ['xs:all', '<xs:complexType name="c"><xs:all><xs:element name="a"/></xs:all></xs:complexType>', /unsupported XSD feature xs:all in a complex type in test\.xsd:2/],
    ['xs:list', '<xs:simpleType name="s"><xs:list itemType="xs:string"/></xs:simpleType>', /unsupported XSD feature xs:list in test\.xsd:2/],
    ['identity constraints', '<xs:element name="e"><xs:complexType/><xs:unique name="u"><xs:selector xpath="."/><xs:field xpath="@a"/></xs:unique></xs:element>', /unsupported XSD feature xs:unique in an element declaration/],
    ['nillable', '<xs:element name="e" nillable="true"/>', /unsupported XSD feature nillable="true"/],
    ['fixed values', '<xs:attribute name="a" fixed="1"/>', /unsupported XSD feature xs:attribute\/@fixed/],
    ['block', '<xs:element name="e" block="#all"/>', /unsupported XSD feature xs:element\/@block/],
    ['prohibited attributes', '<xs:complexType name="c"><xs:attribute name="a" use="prohibited"/></xs:complexType>', /unsupported XSD feature use="prohibited"/],
    ['length facets', '<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:maxLength value="3"/></xs:restriction></xs:simpleType>', /unsupported XSD feature facet xs:maxLength/],
    ['simpleContent restriction', '<xs:complexType name="c"><xs:simpleContent><xs:restriction base="xs:string"/></xs:simpleContent></xs:complexType>', /unsupported XSD feature xs:simpleContent\/xs:restriction/],
    ['complexContent restriction of a named type', '<xs:complexType name="b"/><xs:complexType name="c"><xs:complexContent><xs:restriction base="t:b"/></xs:complexContent></xs:complexType>', /complexContent restriction of a type other than xs:anyType/],
    ['unsupported built-in types', '<xs:element name="e" type="xs:IDREF"/>', /unsupported XSD feature the built-in type xs:IDREF is not supported/],
    ['counted repetitions', '<xs:element name="e"><xs:complexType><xs:sequence><xs:element name="a" maxOccurs="3"/></xs:sequence></xs:complexType></xs:element>', /maxOccurs="3" is not supported/],
    ['enumerations of non-string types', '<xs:simpleType name="s"><xs:restriction base="xs:integer"><xs:enumeration value="1"/></xs:restriction></xs:simpleType>', /enumeration facet on a type derived from xs:integer/],
    ['Unicode category escapes', '<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="\\p{L}+"/></xs:restriction></xs:simpleType>', /the escape \\p is not supported/],
    ['attributes XSD does not know', '<xs:element name="e" color="red"/>', /unsupported XSD feature xs:element\/@color/],
  ] as const) {
    test(feature, () => {
      assert.throws(() => compile(body), (error: unknown) => {
        assert.ok(error instanceof XsdSchemaError, String(error));
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test('a content model that is not deterministic (Unique Particle Attribution)', () => {
    assert.throws(
      () => compile('<xs:element name="e"><xs:complexType><xs:choice><xs:element name="a"/><xs:sequence><xs:element name="a"/><xs:element name="b"/></xs:sequence></xs:choice></xs:complexType></xs:element>'),
      /is not deterministic: \{urn:example:test\}a may match two declarations/,
    );
    assert.throws(
      () => compile('<xs:element name="e"><xs:complexType><xs:sequence><xs:element name="a" minOccurs="0"/><xs:any namespace="##targetNamespace"/></xs:sequence></xs:complexType></xs:element>'),
      /may match both its declaration and a wildcard/,
    );
  });

  test('references to components that do not exist', () => {
    assert.throws(() => compile('<xs:element name="e" type="t:missing"/>'), /invalid schema: no type 't:missing'/);
    assert.throws(() => compile('<xs:element name="e" type="q:missing"/>'), /the prefix of 'q:missing' is not declared/);
    assert.throws(() => compile('<xs:complexType name="c"><xs:attribute ref="t:a"/></xs:complexType>'), /no global attribute declaration 't:a'/);
  });

  test('schema documents that are not schemas or not well-formed', () => {
    assert.throws(() => parseSchemaDocument('x.xsd', '<schema/>'), /x\.xsd is not an XML schema/);
    assert.throws(() => parseSchemaDocument('x.xsd', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'), /x\.xsd is not well-formed XML/);
  });
});

describe('what is supported', () => {
  test('every schema of ours loads with its imports, the entry schema first', () => {
    const set = loadSchemaSet('oma-pres-rules.xsd');
    assert.deepEqual(
      set.map((document) => document.file),
      ['oma-pres-rules.xsd', 'pres-rules.xsd', 'common-policy.xsd', 'oma-common-policy.xsd'],
    );
  });

  test('elementFormDefault, attributeFormDefault and form', () => {
    const model = compile(
      `<xs:element name="root"><xs:complexType><xs:sequence>
         <xs:element name="q" type="xs:string"/><xs:element name="u" form="unqualified" type="xs:string"/>
       </xs:sequence><xs:attribute name="plain"/><xs:attribute name="qualified" form="qualified"/></xs:complexType></xs:element>`,
      'elementFormDefault="qualified" attributeFormDefault="unqualified"',
    );
    assert.deepEqual(issues(model, `<t:root xmlns:t="${TNS}" plain="1" t:qualified="2"><t:q/><u/></t:root>`), []);
    assert.equal(issues(model, `<t:root xmlns:t="${TNS}" qualified="2"><t:q/><t:u/></t:root>`).length, 2);
  });

  test('attribute groups, defaults, unions and restrictions of restrictions', () => {
    const model = compile(
      `<xs:attributeGroup name="g"><xs:attribute name="a" type="t:small" default="one"/><xs:attribute name="b" type="t:either" use="required"/></xs:attributeGroup>
       <xs:simpleType name="word"><xs:restriction base="xs:token"><xs:pattern value="[a-z]+"/></xs:restriction></xs:simpleType>
       <xs:simpleType name="small"><xs:restriction base="t:word"><xs:enumeration value="one"/><xs:enumeration value="two"/><xs:enumeration value="zz"/></xs:restriction></xs:simpleType>
       <xs:simpleType name="either"><xs:union memberTypes="xs:boolean"><xs:simpleType><xs:restriction base="xs:integer"/></xs:simpleType></xs:union></xs:simpleType>
       <xs:element name="e"><xs:complexType><xs:attributeGroup ref="t:g"/></xs:complexType></xs:element>`,
    );
    const root = (attributes: string): string => `<t:e xmlns:t="${TNS}" ${attributes}/>`;
    assert.deepEqual(issues(model, root('a=" two " b="true"')), []);
    assert.deepEqual(issues(model, root('b="-12"')), []);
    assert.match(issues(model, root('a="x1" b="1"'))[0]!, /'x1' does not match the pattern of \{urn:example:test\}word/);
    assert.match(issues(model, root('a="three" b="1"'))[0]!, /'three' is not one of 'one', 'two', 'zz'/);
    // Enumeration values must themselves be values of the base type.
    assert.throws(
      () =>
        compile(
          '<xs:simpleType name="w"><xs:restriction base="xs:token"><xs:pattern value="[a-z]+"/></xs:restriction></xs:simpleType>' +
            '<xs:simpleType name="u"><xs:restriction base="t:w"><xs:enumeration value="A"/></xs:restriction></xs:simpleType>',
        ),
      /enumeration value: 'A' does not match the pattern of \{urn:example:test\}w/,
    );
    assert.throws(() => compile('<xs:attribute name="a" type="xs:boolean" default="maybe"/>'), /the default of attribute '\{urn:example:test\}a': 'maybe' is not a valid value of type xs:boolean/);
  });

  test('wildcards: namespace lists, ##local, ##targetNamespace and skip', () => {
    const model = compile(
      `<xs:element name="known"/>
       <xs:element name="e"><xs:complexType><xs:sequence>
         <xs:any namespace="##local urn:example:other" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
         <xs:any namespace="##targetNamespace" processContents="strict" minOccurs="0"/>
       </xs:sequence></xs:complexType></xs:element>`,
    );
    const root = (body: string): string => `<t:e xmlns:t="${TNS}" xmlns:o="urn:example:other">${body}</t:e>`;
    assert.deepEqual(issues(model, root('<plain anything="goes"><t:e bogus="1"/></plain><o:x/><t:known/>')), []);
    assert.match(issues(model, root('<t:unknown/>'))[0]!, /no global element declaration matches it, which the strict wildcard demands/);
    assert.match(issues(model, root('<x:y xmlns:x="urn:example:third"/>'))[0]!, /not expected here/);
  });
});
