import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Actor, Role, TokenRejected, TokenService } from '@attest/auth';
import { ProblemException } from '@attest/http';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';

/**
 * Global guard (registered as APP_GUARD): closed by default. A route without `@Roles(…)` or
 * `@Public()` answers 403 to everyone, and a test fails for any such route.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!roles || roles.length === 0) throw new ProblemException('FORBIDDEN', 'this route declares no access rule');
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; actor?: Actor }>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null;
    if (!match?.[1])
      throw new ProblemException('UNAUTHENTICATED', 'send Authorization: Bearer <token>', { headers: { 'www-authenticate': 'Bearer' } });
    let actor: Actor;
    try {
      actor = await this.tokens.verify(match[1]);
    } catch (error) {
      const reason = error instanceof TokenRejected ? error.reason : 'invalid token';
      throw new ProblemException('UNAUTHENTICATED', `the token was refused: ${reason}`, {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    if (!roles.includes(actor.role)) throw new ProblemException('FORBIDDEN', `role ${actor.role} may not call this route`);
    request.actor = actor;
    return true;
  }
}
