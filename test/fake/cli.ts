import { parseArgs } from 'node:util';
import { FakeAnthropic } from './anthropic.js';
import { FakeAurous } from './aurous.js';
import { DAY, FakeOpenAi } from './openai.js';

/**
 * Run the fake API by hand: npm run fake-api -- --port 8787 [--days 90] [--projects 5] [--line-items 8]
 * The fake Anthropic Admin API: npm run fake-api -- --provider anthropic [--port 8788] [--days 90] [--key sk-ant-admin01-...]
 * The fake Aurous Labs usage API: npm run fake-api -- --provider aurous [--port 8789] [--days 90] [--key al_live_...]
 */
const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'openai' },
    port: { type: 'string' },
    days: { type: 'string', default: '90' },
    projects: { type: 'string', default: '5' },
    'line-items': { type: 'string', default: '8' },
    key: { type: 'string' },
  },
});
const anthropic = values.provider === 'anthropic';
const aurous = values.provider === 'aurous';
if (!anthropic && !aurous && values.provider !== 'openai') {
  process.stderr.write(`unknown --provider '${values.provider}': use openai, anthropic or aurous\n`);
  process.exit(2);
}
values.port ??= anthropic ? '8788' : aurous ? '8789' : '8787';
values.key ??= anthropic ? 'sk-ant-admin01-fake-0123456789abcdef' : aurous ? 'al_live_fake_0123456789abcdef' : 'sk-admin-fake-0123456789abcdef';
const days = Number(values.days);
const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
const fake = anthropic
  ? new FakeAnthropic({ firstDay: today - (days - 1) * DAY, days, adminKey: values.key })
  : aurous
    ? new FakeAurous({ firstTime: today - (days - 1) * DAY, endTime: today + DAY, apiKey: values.key })
    : new FakeOpenAi({
        firstDay: today - (days - 1) * DAY,
        days,
        projects: Number(values.projects),
        lineItems: Number(values['line-items']),
        adminKey: values.key,
      });
const url = await fake.start(Number(values.port));
process.stderr.write(
  aurous
    ? `fake Aurous Labs usage API on ${url} (X-Api-Key ${values.key}, Aurous-Version 2026-05-15: without it /v1/usage answers lifetime totals); Ctrl-C to stop\n`
    : `fake ${anthropic ? 'Anthropic' : 'OpenAI'} admin API on ${anthropic ? url : `${url}/v1`} (admin key ${values.key}); Ctrl-C to stop\n`,
);
const stop = (): void => void fake.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
