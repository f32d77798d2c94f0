/** Small schemas written inline in tests, in one target namespace bound to the prefix `t`. */
import { SchemaCompiler } from '../../../src/appusages/xsd/compiler.js';
import type { SchemaModel } from '../../../src/appusages/xsd/model.js';
import { parseSchemaDocument } from '../../../src/appusages/xsd/schema-loader.js';

export const TNS = 'urn:example:test';

/** Compiles `<xs:schema>` around `body` (elementFormDefault qualified). */
export function compile(body: string): SchemaModel {
  return new SchemaCompiler([
    parseSchemaDocument(
      'test.xsd',
      `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="${TNS}" targetNamespace="${TNS}" elementFormDefault="qualified">${body}</xs:schema>`,
    ),
  ]).compile();
}
