import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { SHARED_SPECS } from './protocol.js';

/**
 * Validators over ../shared/specs/singer/*.yaml: Airbyte's legacy JSON Schema of Singer messages
 * and catalogs (never copied into the project). Where that schema contradicts Singer itself
 * (singer-io/getting-started SPEC.md, DISCOVERY_MODE.md), Singer wins; the deviations are patched
 * here, in memory, and listed in docs/singer.md:
 *  1. A stream `schema` is "a JSON Schema" in Singer. The legacy schema allows only type,
 *     properties and definitions on the table and a fixed keyword list on columns
 *     (additionalProperties: false), which rejects description, required, $schema, title, enum...
 *     Both objects are opened (additionalProperties: true); their listed keywords keep their types.
 *  2. `replication-key` is a string in Singer; the legacy schema types it as an array. Both are accepted.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const load = (name: string): Json => parse(readFileSync(`${SHARED_SPECS}singer/${name}`, 'utf8')) as Json;

export function singerSchemas(): { catalog: Json; message: Json } {
  const catalog = load('SingerCatalog.yaml');
  const message = load('SingerMessage.yaml');
  catalog.definitions.SingerTableSchema.additionalProperties = true;
  catalog.definitions.SingerColumn.additionalProperties = true;
  const key = catalog.definitions.SingerMetadataChild.properties['replication-key'];
  catalog.definitions.SingerMetadataChild.properties['replication-key'] = {
    description: key.description,
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  };
  return { catalog, message };
}

const ajv = new Ajv.default({ strict: false, allErrors: true });
addFormats.default(ajv);
const schemas = singerSchemas();
ajv.addSchema(schemas.catalog);
ajv.addSchema(schemas.message);

export const validateSingerCatalog = ajv.getSchema(schemas.catalog.$id as string) as ValidateFunction;
export const validateSingerMessage = ajv.getSchema(schemas.message.$id as string) as ValidateFunction;

/** The same validators without the patches, to show which deviation a failure comes from. */
export function unpatched(): { catalog: ValidateFunction; message: ValidateFunction } {
  const strict = new Ajv.default({ strict: false, allErrors: true });
  const catalog = load('SingerCatalog.yaml');
  const message = load('SingerMessage.yaml');
  strict.addSchema(catalog);
  strict.addSchema(message);
  return { catalog: strict.getSchema(catalog.$id as string) as ValidateFunction, message: strict.getSchema(message.$id as string) as ValidateFunction };
}
