import { discoverRoutes } from '../src/openapi/routes';
import { startTestApp, TestApp } from '../../../test/support/test-app';

/**
 * Guards and contracts for EVERY route, discovered from Nest's metadata, so a route added
 * later without @Roles/@Public or without @Contract fails here.
 */
describe('every route declares who may call it and what it accepts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('has @Roles or @Public on every route', () => {
    const routes = discoverRoutes(t.app);
    expect(routes.length).toBeGreaterThan(0);
    const undeclared = routes.filter((r) => !r.isPublic && (!r.roles || r.roles.length === 0));
    expect(undeclared.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('refuses anonymous calls to every non-public route with 401 problem+json', async () => {
    for (const route of discoverRoutes(t.app).filter((r) => !r.isPublic)) {
      const path = route.path.replace(/:([A-Za-z]+)/g, 'x1');
      const response = await t.http()[route.method.toLowerCase() as 'get'](path).send();
      expect({ route: `${route.method} ${route.path}`, status: response.status, code: response.body.code }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  it('documents every route in /openapi.json, and every documented example validates', async () => {
    const routes = discoverRoutes(t.app);
    expect(routes.filter((r) => !r.contract).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const document = (await t.http().get('/openapi.json').expect(200)).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    for (const route of routes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect({ route: `${route.method} ${path}`, documented: Boolean(document.paths[path]?.[route.method.toLowerCase()]) }).toEqual({
        route: `${route.method} ${path}`,
        documented: true,
      });
      for (const example of route.contract?.examples ?? []) {
        const result = route.contract?.body?.safeParse(example);
        expect({ route: route.path, example, valid: result?.success }).toEqual({ route: route.path, example, valid: true });
      }
    }
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http().get('/docs/').redirects(1);
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/swagger/i);
  });
});
