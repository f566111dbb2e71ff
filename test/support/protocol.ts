import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** Validators over the official protocol schema in ../shared/specs (never copied into the project). */
export const SHARED_SPECS = fileURLToPath(new URL('../../../shared/specs/', import.meta.url));

const protocol = JSON.parse(readFileSync(`${SHARED_SPECS}airbyte_protocol.json`, 'utf8')) as Record<string, unknown>;

const ajv = new Ajv.default({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ ...protocol, $id: 'airbyte_protocol' });

export const validateMessage: ValidateFunction = ajv.getSchema('airbyte_protocol#/definitions/AirbyteMessage') as ValidateFunction;

/** A record validator: strict integers, formats, and no undeclared top-level fields. */
export function recordValidator(schema: Record<string, unknown>): ValidateFunction {
  const strict = new Ajv.default({ strict: false, allErrors: true });
  addFormats.default(strict);
  return strict.compile({ ...schema, additionalProperties: false });
}

export function errorsText(v: ValidateFunction): string {
  return JSON.stringify(v.errors?.slice(0, 3));
}
