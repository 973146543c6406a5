/**
 * Who is calling. Roles (issue 9): a `subject` is a data subject acting for themselves; a
 * `partner` acts for exactly one registered recipient; `compliance` reads trails and bundles;
 * `finance` reads the ledger and reconciles; `operator` manages the catalogue.
 */
export const ROLES = ['subject', 'partner', 'compliance', 'finance', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  role: Role;
  /** The token's `sub`: for a subject, the data subject id. */
  id: string;
  /** For a partner: the recipient it acts for. */
  recipientId?: string;
  /** The token's `jti`, for the access log. */
  tokenId?: string;
}

/** The string stored in event metadata.actor: `subject:u1`, `partner:bureau-1`, `operator:ops-7`. */
export const actorLabel = (actor: Actor): string =>
  actor.role === 'partner' && actor.recipientId ? `partner:${actor.recipientId}:${actor.id}` : `${actor.role}:${actor.id}`;
