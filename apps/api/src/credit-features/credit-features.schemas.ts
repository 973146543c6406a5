import { z } from 'zod';
import { isoInstant, opaqueId } from '@attest/event-store';
import { noticeReference } from '@attest/consent';

/**
 * Request and response schemas of the credit-features route: one zod schema each, used to
 * validate (parseInput) and to describe the route (@Contract). Unknown query fields are refused.
 */
export const creditFeaturesParams = z.strictObject({ subjectId: opaqueId });

export const creditFeaturesQuery = z.strictObject({
  /** The purpose the partner declares for this read: decided by the share gate, recorded either way. */
  purpose: opaqueId,
  /** Values as they were at this instant (UTC); default: the instant of the request. Never in the future. */
  asOf: isoInstant.optional(),
  /** The partner's own id for this read: repeating it returns the same share instead of recording a new one. Best a UUID v7 (the share's event id then sorts by time, ADR 0003); default: one the API generates. */
  shareId: opaqueId.optional(),
  /** Optional: the recipient the partner acts for; when given it must be the caller's own. */
  recipientId: opaqueId.optional(),
});

const lineage = z.object({ sourceEvents: z.number().int(), fromPosition: z.string().nullable(), toPosition: z.string().nullable() });
const featureValue = z.object({
  value: z.string().nullable(),
  valueMinor: z.string().nullable().optional(),
  unit: z.string(),
  window: z.enum(['30d', '90d', 'lifetime']),
  lineage,
});

export const creditFeaturesResponse = z.object({
  subjectId: z.string(),
  recipientId: z.string(),
  purposeId: z.string(),
  asOf: z.string(),
  definitionsVersion: z.string(),
  share: z.object({
    shareId: z.string(),
    shareEventId: z.string(),
    consentId: z.string().nullable(),
    consentEventId: z.string().nullable(),
    notice: noticeReference.nullable(),
    sharedAt: z.string(),
    position: z.string().nullable(),
  }),
  currencies: z.array(z.object({ currency: z.string(), features: z.record(z.string(), featureValue) })),
});
