import { z } from 'zod';
import type { SourceDefinition } from '../engine/source.js';
import type { ConnectorSpecification } from '../protocol/messages.js';

/** Airbyte wants every additionalProperties true and no $ref (CAT test_additional_properties_is_true). */
function airbyteFriendly(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(airbyteFriendly);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'additionalProperties') out[k] = true;
    else if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, airbyteFriendly(s)]));
    } else out[k] = airbyteFriendly(v);
  }
  return out;
}

/** Why the spec says additionalProperties: true while the connector refuses fields it does not know (issue 25). */
export const UNKNOWN_FIELDS =
  "additionalProperties is true only because Airbyte's acceptance test requires it of every object (test_additional_properties_is_true). " +
  'The connector refuses a field it does not know (check answers FAILED, read a config_error), naming it and listing the known ones: ' +
  'a misspelt field such as stat_date would otherwise be ignored silently and read something else than asked.';

export function connectionSpecification<C>(source: SourceDefinition<C>): Record<string, unknown> {
  const schema = z.toJSONSchema(source.configSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...(airbyteFriendly(schema) as Record<string, unknown>), title: `${source.name} spec`, description: UNKNOWN_FIELDS };
}

export function specification<C>(source: SourceDefinition<C>): ConnectorSpecification {
  return {
    documentationUrl: source.documentationUrl,
    connectionSpecification: connectionSpecification(source),
    supportsIncremental: true,
    supported_destination_sync_modes: ['overwrite', 'append', 'append_dedup'],
  };
}
