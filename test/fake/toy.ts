import { FakeServer, presentedKey } from './server.js';

/** The scratch provider's fake (test/toy/about.ts): GET /v1/items for its one key, 401 for any other. */
export class FakeToy extends FakeServer {
  constructor(readonly key: string) {
    super((req) => {
      if (presentedKey(req) !== this.key) return { status: 401, body: { error: 'invalid api key' } };
      if (req.path !== '/v1/items') return { status: 404, body: { error: 'not found' } };
      return {
        status: 200,
        body: {
          data: [
            { id: 'a1', name: 'first' },
            { id: 'b2', name: null },
          ],
        },
      };
    });
  }

  get baseUrl(): string {
    return this.url;
  }
}
