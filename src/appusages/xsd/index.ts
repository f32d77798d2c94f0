/** XSD validation of parsed XCAP documents; see compiled-schema.ts. */
export { CompiledSchema, XsdSchemaError, type AttributeName, type SchemaValidationIssue } from './compiled-schema.js';
