import { Actor } from '@attest/auth';
import { ProblemException } from '@attest/http';

/** A subject acts only on themselves; other roles pass (their route's @Roles decides). */
export const ensureOwnSubject = (actor: Actor, subjectId: string): void => {
  if (actor.role === 'subject' && actor.id !== subjectId)
    throw new ProblemException('FORBIDDEN', 'a subject may only see and change their own data');
};

/** A partner acts only as its own recipient. */
export const ensureOwnRecipient = (actor: Actor, recipientId: string): void => {
  if (actor.role === 'partner' && actor.recipientId !== recipientId)
    throw new ProblemException('FORBIDDEN', 'a partner may only act as its own recipient');
};
