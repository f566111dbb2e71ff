import { parseArgs } from 'node:util';
import { DAY, FakeOpenAi } from './openai.js';

/** Run the fake API by hand: npm run fake-api -- --port 8787 [--days 90] [--projects 5] [--line-items 8] */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    days: { type: 'string', default: '90' },
    projects: { type: 'string', default: '5' },
    'line-items': { type: 'string', default: '8' },
    key: { type: 'string', default: 'sk-admin-fake-0123456789abcdef' },
  },
});
const days = Number(values.days);
const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
const fake = new FakeOpenAi({ firstDay: today - (days - 1) * DAY, days, projects: Number(values.projects), lineItems: Number(values['line-items']), adminKey: values.key });
const url = await fake.start(Number(values.port));
process.stderr.write(`fake OpenAI admin API on ${url}/v1 (admin key ${values.key}); Ctrl-C to stop\n`);
const stop = (): void => void fake.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
