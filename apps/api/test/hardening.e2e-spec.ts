import { EventStore } from '@attest/event-store';
import { discoverRoutes, DiscoveredRoute } from '../src/openapi/routes';
import { startTestApp, TestApp } from '../../../test/support/test-app';

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Bad requests every write endpoint must refuse with a 4xx problem, writing nothing. */
const BAD: Array<{ name: string; contentType: string; body: string }> = [
  { name: 'malformed JSON', contentType: 'application/json', body: '{"amount": {"value": "1.00",' },
  { name: 'wrong content type', contentType: 'text/plain', body: 'amount=1.00' },
  { name: 'huge body', contentType: 'application/json', body: JSON.stringify({ note: 'x'.repeat(200_000) }) },
  { name: 'deeply nested JSON', contentType: 'application/json', body: '['.repeat(5_000) + ']'.repeat(5_000) },
  { name: '__proto__ key', contentType: 'application/json', body: '{"__proto__": {"role": "operator"}, "erasureId": "e1"}' },
  { name: 'constructor.prototype key', contentType: 'application/json', body: '{"constructor": {"prototype": {"role": "operator"}}}' },
  { name: 'unicode edge cases', contentType: 'application/json', body: JSON.stringify({ consentId: '\u0000\u202e', subjectId: '\ud800', reason: '\uffff'.repeat(3), erasureId: 'e\u0301' }) },
  { name: 'number where a string belongs', contentType: 'application/json', body: JSON.stringify({ amount: { value: 12.5, currency: 'CNY' }, consentId: 7, withdrawalId: 1, erasureId: 2 }) },
  { name: 'string where a number belongs', contentType: 'application/json', body: JSON.stringify({ version: '1', revision: 'one', treeSize: '9', sharesCount: 'many' }) },
  { name: 'negative amount', contentType: 'application/json', body: JSON.stringify({ wallet: 'user:x1:wallet:CNY', from: 'user:x1:wallet:CNY', to: 'user:x2:wallet:CNY', amount: { value: '-1.00', currency: 'CNY' } }) },
  { name: 'zero amount', contentType: 'application/json', body: JSON.stringify({ wallet: 'user:x1:wallet:CNY', from: 'user:x1:wallet:CNY', to: 'user:x2:wallet:CNY', amount: { value: '0.00', currency: 'CNY' } }) },
  { name: 'overflowing amount', contentType: 'application/json', body: JSON.stringify({ wallet: 'user:x1:wallet:CNY', from: 'user:x1:wallet:CNY', to: 'user:x2:wallet:CNY', amount: { value: '99999999999999999999999.00', currency: 'CNY' } }) },
  { name: 'empty body', contentType: 'application/json', body: '' },
];

/** A caller the route admits, acting on the ids the path names (`x1`), so ownership checks pass. */
const callerFor = async (t: TestApp, route: DiscoveredRoute) => {
  const role = (route.roles ?? ['operator'])[0] ?? 'operator';
  if (role === 'partner') return t.bearer('partner', 'x1-svc', 'x1');
  return t.bearer(role as 'subject', 'x1');
};

describe('hardening: every write endpoint refuses bad input with a 4xx problem and writes nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: '100000' });
  });
  afterAll(() => t.close());

  it('covers every write route with every bad request', async () => {
    const store = t.app.get(EventStore);
    const routes = discoverRoutes(t.app).filter((r) => WRITE.has(r.method) && !r.isPublic);
    expect(routes.length).toBeGreaterThan(10);
    const before = await store.headPosition();
    const outcomes: string[] = [];
    for (const route of routes) {
      const path = route.path.replace(/:([A-Za-z]+)/g, 'x1');
      const auth = await callerFor(t, route);
      for (const bad of BAD) {
        const response = await t.http()[route.method.toLowerCase() as 'post'](path).set('authorization', auth).set('content-type', bad.contentType).send(bad.body);
        const ok = response.status >= 400 && response.status < 500 && /^application\/problem\+json/.test(String(response.headers['content-type'])) && typeof response.body.code === 'string';
        if (!ok) outcomes.push(`${route.method} ${route.path} / ${bad.name}: ${response.status} ${String(response.headers['content-type'])}`);
        // Nothing internal leaks: no stack frames in any answer.
        expect(response.text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
      }
    }
    expect(outcomes).toEqual([]);
    expect(await store.headPosition()).toBe(before);
  }, 120_000);
});
