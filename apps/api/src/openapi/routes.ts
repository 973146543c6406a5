import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { CONTRACT_KEY, RouteContract } from '@attest/http';
import { PUBLIC_KEY, ROLES_KEY } from '../auth/auth.decorators';

export interface DiscoveredRoute {
  method: string;
  /** Nest form: `/v1/accounts/:id/balance`. */
  path: string;
  isPublic: boolean;
  roles: string[] | undefined;
  contract: RouteContract | undefined;
  controller: string;
  handler: string;
}

/** Every route of the application, read from Nest's metadata: the source of OpenAPI and of the route tests. */
export const discoverRoutes = (app: INestApplicationContext): DiscoveredRoute[] => {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: DiscoveredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || !wrapper.metatype) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, wrapper.metatype) ?? '');
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = instance[name] as () => void;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number] ?? 'GET';
      const targets = [handler, wrapper.metatype as () => void];
      routes.push({
        method,
        path: `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/'),
        isPublic: reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false,
        roles: reflector.getAllAndOverride<string[]>(ROLES_KEY, targets),
        contract: reflector.get<RouteContract>(CONTRACT_KEY, handler),
        controller: wrapper.name,
        handler: name,
      });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
};
