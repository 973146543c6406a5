import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PUBLIC_KEY, ROLES_KEY } from '../src/auth/auth.decorators';
import { startTestApp, TestApp } from '../../../test/support/test-app';

interface Route {
  method: string;
  path: string;
  isPublic: boolean;
  roles: string[] | undefined;
}

/** Every route of the API, discovered from Nest's metadata (so a new route is covered automatically). */
const discoverRoutes = (t: TestApp): Route[] => {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const reflector = t.app.get(Reflector);
  const routes: Route[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || !wrapper.metatype) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, wrapper.metatype) ?? '');
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = instance[name] as object;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number] ?? 'GET';
      const targets = [handler as () => void, wrapper.metatype as () => void];
      routes.push({
        method,
        path: `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/'),
        isPublic: reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false,
        roles: reflector.getAllAndOverride<string[]>(ROLES_KEY, targets),
      });
    }
  }
  return routes;
};

describe('every route declares who may call it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('has @Roles or @Public on every route, and refuses anonymous calls to non-public ones', async () => {
    const routes = discoverRoutes(t);
    expect(routes.length).toBeGreaterThan(0);
    const undeclared = routes.filter((r) => !r.isPublic && (!r.roles || r.roles.length === 0));
    expect(undeclared.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    for (const route of routes.filter((r) => !r.isPublic)) {
      const path = route.path.replace(/:([A-Za-z]+)/g, 'x1');
      const response = await t.http()[route.method.toLowerCase() as 'get'](path).send();
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 });
      expect(response.body.code).toBe('UNAUTHENTICATED');
    }
  });
});
