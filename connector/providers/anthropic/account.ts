import { systemError } from '../../engine/errors.js';
import { withFocusAccount } from '../../engine/focus/focus.js';
import type { AccountSpec } from '../../engine/source.js';
import type { AnthropicConfig } from './config.js';

/** The organization of an Admin key: {id (a uuid), name, type: "organization"} (shared/reference/field-reports.md). */
export const ORGANIZATION_PATH = '/v1/organizations/me';

/**
 * The account of an Anthropic run is the organization the Admin key belongs to, as the API says
 * (one request, before any stream): its id names the rows and state in a sync warehouse and is
 * the spend stream's default BillingAccountId, its name the default BillingAccountName. Trusted
 * across keys: a rotated key of the same organization is the same account.
 */
export const anthropicAccount: AccountSpec<AnthropicConfig> = {
  field: null,
  origin: `GET ${ORGANIZATION_PATH}`,
  async resolve(http) {
    const { body } = await http.getJson(ORGANIZATION_PATH, []);
    const o = (body ?? {}) as Record<string, unknown>;
    if (typeof o.id !== 'string' || o.id.trim() === '') {
      throw systemError(`GET ${ORGANIZATION_PATH} answered no organization id (expected {"id": "...", "name": "...", "type": "organization"}).`);
    }
    return { id: o.id, name: typeof o.name === 'string' && o.name.trim() !== '' ? o.name : null, from: 'api' };
  },
  apply: withFocusAccount,
};
