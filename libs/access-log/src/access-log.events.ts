import { z } from 'zod';
import { defineEvent, isoInstant, opaqueId } from '@attest/event-store';

/**
 * Audited reads (issue 9): whenever compliance or finance reads a subject's consent trail, audit
 * bundle or ledger statement, one `SubjectDataAccessed` event records who, what, when and why.
 * They live on `access-<subjectId>`, apart from the subject's consent stream, so a read never
 * contends with that subject's grants, withdrawals and shares.
 */
export const ACCESS_RESOURCES = ['consent-trail', 'consent-trail-as-of', 'audit-bundle', 'ledger-statement', 'ledger-balance', 'subject-shares'] as const;
export type AccessResource = (typeof ACCESS_RESOURCES)[number];

export const SubjectDataAccessed = defineEvent({
  type: 'SubjectDataAccessed',
  schemaVersion: 1,
  description: "Someone other than the subject read the subject's data: who, which resource, when and why.",
  data: z.strictObject({
    subjectId: opaqueId,
    accessorRole: z.enum(['compliance', 'finance', 'operator', 'partner']),
    accessorId: opaqueId,
    resource: z.enum(ACCESS_RESOURCES),
    /** Why (required for compliance reads). Stored in clear: it is about the accessor, not the subject. */
    reason: z.string().min(3).max(500).nullable(),
    accessedAt: isoInstant,
    requestId: z.string().max(128),
  }),
});

export const ACCESS_LOG_EVENTS = [SubjectDataAccessed];

export const accessStreamId = (subjectId: string) => `access-${subjectId}`;
