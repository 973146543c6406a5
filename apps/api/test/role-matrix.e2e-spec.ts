import { ROLES } from '@attest/auth';
import { discoverRoutes } from '../src/openapi/routes';
import { startTestApp, TestApp } from '../../../test/support/test-app';

/**
 * Scoping by role, for every route: each role a route does not admit is refused with 403
 * FORBIDDEN before anything runs — compliance cannot grant, withdraw or move money; finance
 * cannot read consent trails; partners cannot touch wallets; subjects cannot run operator
 * commands; and so on, as the routes' @Roles say. (Subject and partner ownership — acting only
 * on oneself, or as one's own recipient — is tested in each feature's e2e spec.)
 */
describe('role matrix: every route refuses every role it does not admit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: '100000' });
  });
  afterAll(() => t.close());

  it('answers 403 FORBIDDEN to each excluded role, on each route', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const route of discoverRoutes(t.app).filter((r) => !r.isPublic)) {
      const path = route.path.replace(/:([A-Za-z]+)/g, 'x1');
      for (const role of ROLES.filter((r) => !(route.roles ?? []).includes(r))) {
        const auth = role === 'partner' ? await t.bearer('partner', 'x1-svc', 'x1') : await t.bearer(role, 'x1');
        const response = await t.http()[route.method.toLowerCase() as 'get'](path).set('authorization', auth).send({});
        checked++;
        if (response.status !== 403 || response.body.code !== 'FORBIDDEN') wrong.push(`${role} → ${route.method} ${route.path}: ${response.status} ${response.body.code}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  }, 120_000);
});
