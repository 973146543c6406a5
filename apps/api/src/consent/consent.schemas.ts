import { z } from 'zod';
import { isoInstant, opaqueId } from '@attest/event-store';
import { collection, dataCategories, noticeReference, noticeVersionNumber } from '@attest/consent';

/**
 * Request and response schemas of the consent routes: one zod schema each, used to validate
 * (parseInput) and to describe the route (@Contract). Unknown fields are refused (strictObject).
 */
export const LIST_LIMIT_MAX = 100;

export const subjectParams = z.strictObject({ subjectId: opaqueId });
export const recipientParams = z.strictObject({ recipientId: opaqueId });
export const purposeParams = z.strictObject({ purposeId: opaqueId });
export const noticeParams = z.strictObject({ noticeId: opaqueId });
export const noticeVersionParams = z.strictObject({ noticeId: opaqueId, version: z.coerce.number().int().min(1).max(1_000_000) });

export const pageQuery = z.strictObject({
  cursor: z.string().regex(/^\d{1,20}$/).optional(),
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT_MAX).default(50),
});

// ─── catalogue ──────────────────────────────────────────────────────────────────────────

export const definePurposeBody = z.strictObject({
  description: z.string().min(1).max(2_000),
  sensitive: z.boolean(),
  compatibleWith: z.array(opaqueId).max(50).default([]),
});

export const defineRecipientBody = z.strictObject({
  name: z.string().min(1).max(200),
  contact: z.string().min(1).max(300),
  jurisdiction: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
});

export const publishNoticeBody = z.strictObject({
  version: noticeVersionNumber,
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag'),
  text: z.string().min(1).max(40_000),
  controller: z.strictObject({ name: z.string().min(1).max(200), contact: z.string().min(1).max(300) }),
  purposes: z.array(opaqueId).min(1).max(50),
  recipients: z.array(opaqueId).max(50),
  dataCategories,
  retention: z.string().min(1).max(500),
  howToWithdraw: z.string().min(1).max(1_000),
});

// ─── subject ───────────────────────────────────────────────────────────────────────────

export const grantBody = z.strictObject({
  /** Client-generated id of this decision: retrying with it is safe. */
  consentId: opaqueId,
  purposeId: opaqueId,
  recipientId: opaqueId.nullable().default(null),
  notice: noticeReference,
  language: z.string().max(35),
  collection,
  expiresAt: isoInstant.nullable().default(null),
});

export const withdrawBody = z
  .strictObject({
    withdrawalId: opaqueId,
    consentId: opaqueId.optional(),
    purposeId: opaqueId.optional(),
    /** With purposeId: only this recipient (null: only the controller's own use); absent: every recipient. */
    recipientId: opaqueId.nullable().optional(),
  })
  .refine((b) => (b.consentId === undefined) !== (b.purposeId === undefined), {
    message: 'give exactly one of consentId or purposeId',
    path: ['consentId'],
  })
  .refine((b) => b.recipientId === undefined || b.purposeId !== undefined, { message: 'recipientId needs purposeId', path: ['recipientId'] });

export const withdrawAllBody = z.strictObject({ withdrawalId: opaqueId });

// ─── partner ───────────────────────────────────────────────────────────────────────────

export const shareBody = z.strictObject({
  /** The partner's own id for this request: retrying with it is safe. */
  shareId: opaqueId,
  subjectId: opaqueId,
  purposeId: opaqueId,
  dataCategories,
});

export const partnerSubjectsQuery = z.strictObject({
  purposeId: opaqueId.optional(),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/, 'must be a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

// ─── compliance ────────────────────────────────────────────────────────────────────────

/** Compliance reads are audited: `reason` says why (recorded in the subject's access log). */
export const trailQuery = z.strictObject({ asOf: isoInstant.optional(), reason: z.string().trim().min(3).max(500) });

// ─── responses (for the contract) ───────────────────────────────────────────────────────

export const receiptSchema = z.object({ consentReceiptID: z.string(), recordId: z.string(), state: z.enum(['active', 'withdrawn']) }).loose();
export const grantResponse = z.object({ consentId: z.string(), consentEventId: z.string(), position: z.string().nullable(), receipt: receiptSchema });
export const withdrawResponse = z.object({
  withdrawalId: z.string(),
  withdrawn: z.array(z.string()),
  notifiedRecipients: z.array(z.string()),
  position: z.string().nullable(),
  receipts: z.array(receiptSchema),
});
export const shareResponse = z.object({
  shareId: z.string(),
  outcome: z.literal('shared'),
  shareEventId: z.string(),
  consentId: z.string(),
  consentEventId: z.string(),
  notice: noticeReference,
  dataCategories: z.array(z.string()),
  sharedAt: z.string(),
  position: z.string().nullable(),
});
