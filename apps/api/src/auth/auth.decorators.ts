import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Actor, Role } from '@attest/auth';

export const ROLES_KEY = 'attest:roles';
export const PUBLIC_KEY = 'attest:public';

/** The roles allowed to call a route. Every route has `@Roles(…)` or `@Public()`; none is the default. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** A route anyone may call (health, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The verified caller, set by the AuthGuard. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('CurrentActor used on a route without @Roles');
  return request.actor;
});
