import { ProblemException } from '@attest/http';

/**
 * Who is asking. PLACEHOLDER until the authentication issue lands: the caller names itself in
 * the `X-Attest-Actor` header (`operator:<id>`, `regulator:<id>`, …). Swap this one function for
 * the authenticated principal; nothing else in the audit module reads identity.
 */
const ACTOR = /^(operator|regulator|compliance|system):[A-Za-z0-9_-]{1,64}$/;

export const actorFromRequest = (headers: Record<string, string | string[] | undefined>): string => {
  const value = headers['x-attest-actor'];
  if (typeof value !== 'string' || !ACTOR.test(value))
    throw new ProblemException('UNAUTHENTICATED', 'name the caller in the X-Attest-Actor header (operator:<id>, regulator:<id>, compliance:<id>)');
  return value;
};
