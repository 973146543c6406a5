import { z } from 'zod';
import { defineEvent, EventOf, isoInstant, opaqueId } from '@attest/event-store';

/**
 * Every event of the consent domain. Catalogue events live on `notice-<id>`, `purpose-<id>` and
 * `recipient-<id>`; everything about one person (grants, refused attempts, withdrawals, shares and
 * refused shares, withdrawal notifications) lives on `subject-<subjectId>`, the consistency
 * boundary that serialises a share against a withdrawal.
 *
 * Field names follow ISO/IEC TS 27560 and the Kantara Consent Receipt v1.1 where one maps
 * (`piiCategory` → `dataCategories`, `collectionMethod` → `collection`, `termination` → `expiresAt`).
 * Every subject-stream event that relies on a notice carries `notice: { noticeId, version, textHash }`
 * so the audit bundle can include exactly the notice versions the subject's events cite.
 */

/** SHA-256 of the notice text, lowercase hex, computed by the server (never trusted from a client). */
export const textHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');
export const noticeVersionNumber = z.number().int().min(1).max(1_000_000);
/** A data category (`transactions`, `credit-score`, …): an opaque, lowercase-ish token. */
export const dataCategory = opaqueId;
export const dataCategories = z.array(dataCategory).min(1).max(50);

export const noticeReference = z.strictObject({ noticeId: opaqueId, version: noticeVersionNumber, textHash });
export type NoticeReference = z.output<typeof noticeReference>;

/** How someone can say yes. Silence, scrolling or "continue" are deliberately not in the list (Recital 32). */
export const AFFIRMATIVE_ACTIONS = ['checkbox-tick', 'toggle-on', 'button-click', 'signature', 'typed-statement'] as const;
export const CHANNELS = ['web', 'mobile-app', 'in-person', 'phone', 'paper', 'api'] as const;
/** State of the box before the person touched it; `checked` is a pre-ticked box (Planet49). */
export const CHECKBOX_DEFAULTS = ['unchecked', 'checked', 'no-checkbox'] as const;
/**
 * What else the same action accepted. `consent` is another consent given with the same click;
 * `agreement` (terms, a credit-bureau agreement) and `service-action` (view the annual bill) are
 * unrelated to the consent and make it bundled (Art. 7(2)).
 */
export const ALSO_ACCEPTED_KINDS = ['consent', 'agreement', 'service-action'] as const;

export const collection = z.strictObject({
  channel: z.enum(CHANNELS),
  /** The UI surface (screen, page, form id) where the request was shown. */
  surface: z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'must be a screen or form identifier'),
  checkboxDefault: z.enum(CHECKBOX_DEFAULTS),
  action: z.strictObject({
    kind: z.enum(AFFIRMATIVE_ACTIONS),
    /** True when this action accepted this one consent and nothing else (a separate tap, a separate signature). */
    dedicated: z.boolean(),
  }),
  alsoAccepted: z
    .array(z.strictObject({ kind: z.enum(ALSO_ACCEPTED_KINDS), reference: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/) }))
    .max(20),
});
export type Collection = z.output<typeof collection>;

/** Evidence of the act; personal, so it lives in the encrypted `pii` section. */
export const evidence = z.strictObject({
  /** The address truncated to its network (/24 or /48), never the full address. */
  ipPrefix: z.string().max(64).nullable(),
  userAgent: z.string().max(512).nullable(),
});
export type Evidence = z.output<typeof evidence>;

export const INVALID_CONSENT_REASONS = [
  'PRE_TICKED_CONSENT',
  'BUNDLED_CONSENT',
  'NOTICE_HASH_MISMATCH',
  'PURPOSE_NOT_IN_NOTICE',
  'RECIPIENT_NOT_IN_NOTICE',
  'SEPARATE_CONSENT_REQUIRED',
] as const;
export type InvalidConsentReason = (typeof INVALID_CONSENT_REASONS)[number];

export const SHARE_REFUSAL_REASONS = [
  'NO_CONSENT',
  'WITHDRAWN',
  'EXPIRED',
  'PURPOSE_INCOMPATIBLE',
  'RECIPIENT_NOT_COVERED',
  'NOTICE_OUTDATED',
] as const;
export type ShareRefusalReason = (typeof SHARE_REFUSAL_REASONS)[number];

// ─── catalogue ────────────────────────────────────────────────────────────────────────────

export const PurposeDefined = defineEvent({
  type: 'PurposeDefined',
  schemaVersion: 1,
  description: 'An operator defined (or redefined) a processing purpose: its description, sensitivity and compatible purposes.',
  data: z.strictObject({
    purposeId: opaqueId,
    revision: z.number().int().min(1),
    description: z.string().min(1).max(2_000),
    /** Sensitive personal information (financial accounts…): consent must be separate (PIPL Art. 29). */
    sensitive: z.boolean(),
    /** Purposes a consent to this one also covers (credit-scoring → credit-limit-decision). */
    compatibleWith: z.array(opaqueId).max(50),
    definedAt: isoInstant,
  }),
});

export const RecipientDefined = defineEvent({
  type: 'RecipientDefined',
  schemaVersion: 1,
  description: 'An operator registered (or updated) a third-party recipient that a consent to share must name.',
  data: z.strictObject({
    recipientId: opaqueId,
    revision: z.number().int().min(1),
    /** ISO 3166-1 alpha-2 country (or `EU`). */
    jurisdiction: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
    definedAt: isoInstant,
  }),
  pii: z.strictObject({ name: z.string().min(1).max(200), contact: z.string().min(1).max(300) }),
  // A contact may name a person: it is encrypted under the recipient's own key (`recipient:<id>`,
  // never a valid subject id), so erasing a data subject never touches it.
  piiOwner: (data) => `recipient:${data.recipientId}`,
});

export const NoticeVersionPublished = defineEvent({
  type: 'NoticeVersionPublished',
  schemaVersion: 1,
  description: 'An immutable version of a privacy notice was published: exact text, its SHA-256, and the scope it covers.',
  data: z.strictObject({
    noticeId: opaqueId,
    version: noticeVersionNumber,
    language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag'),
    /** The exact text shown (or its canonical rendering); the hash is over its UTF-8 bytes. */
    text: z.string().min(1).max(40_000),
    textHash,
    purposes: z.array(opaqueId).min(1).max(50),
    recipients: z.array(opaqueId).max(50),
    dataCategories,
    retention: z.string().min(1).max(500),
    howToWithdraw: z.string().min(1).max(1_000),
    publishedAt: isoInstant,
  }),
  pii: z.strictObject({ controller: z.strictObject({ name: z.string().min(1).max(200), contact: z.string().min(1).max(300) }) }),
  piiOwner: (data) => `notice:${data.noticeId}`,
});

// ─── subject stream ───────────────────────────────────────────────────────────────────────

export const ConsentGranted = defineEvent({
  type: 'ConsentGranted',
  schemaVersion: 1,
  description: 'A subject gave one granular consent: one purpose, at most one named recipient, under a cited notice version.',
  data: z.strictObject({
    consentId: opaqueId,
    subjectId: opaqueId,
    purposeId: opaqueId,
    /** The third party the data may go to; null for the controller's own processing. */
    recipientId: opaqueId.nullable(),
    notice: noticeReference,
    language: z.string().max(35),
    /** Copied from the notice version so the record stands alone (ISO 27560 `piiCategory`). */
    dataCategories,
    sensitive: z.boolean(),
    collection,
    grantedAt: isoInstant,
    expiresAt: isoInstant.nullable(),
  }),
  pii: evidence,
});

export const ConsentAttemptRejected = defineEvent({
  type: 'ConsentAttemptRejected',
  schemaVersion: 1,
  description: 'A consent was attempted in a way that is not valid consent (pre-ticked, bundled, wrong text…); kept as proof it was refused.',
  data: z.strictObject({
    attemptId: opaqueId,
    subjectId: opaqueId,
    purposeId: opaqueId,
    recipientId: opaqueId.nullable(),
    /** The published version the attempt cited (its real hash). */
    notice: noticeReference,
    /** The hash the client said it showed; differs from notice.textHash on NOTICE_HASH_MISMATCH. */
    citedTextHash: textHash,
    reasons: z.array(z.enum(INVALID_CONSENT_REASONS)).min(1),
    collection,
    attemptedAt: isoInstant,
  }),
  pii: evidence,
});

export const ConsentWithdrawn = defineEvent({
  type: 'ConsentWithdrawn',
  schemaVersion: 1,
  description: 'A subject withdrew one consent (one event per consent, several in one atomic append for "withdraw all").',
  data: z.strictObject({
    withdrawalId: opaqueId,
    consentId: opaqueId,
    subjectId: opaqueId,
    purposeId: opaqueId,
    recipientId: opaqueId.nullable(),
    notice: noticeReference,
    scope: z.enum(['consent', 'purpose', 'all']),
    withdrawnAt: isoInstant,
  }),
});

export const WithdrawalNotificationIssued = defineEvent({
  type: 'WithdrawalNotificationIssued',
  schemaVersion: 1,
  description: 'A recipient that received data under a consent is told the consent was withdrawn (PIPL Art. 47: it must stop and delete).',
  data: z.strictObject({
    notificationId: z.uuid(),
    withdrawalId: opaqueId,
    consentId: opaqueId,
    subjectId: opaqueId,
    recipientId: opaqueId,
    notice: noticeReference,
    sharesUnderConsent: z.number().int().min(1),
    issuedAt: isoInstant,
  }),
});

export const DataShared = defineEvent({
  type: 'DataShared',
  schemaVersion: 1,
  description: "A subject's data went to a recipient for a purpose, under the consent it cites.",
  data: z.strictObject({
    shareId: opaqueId,
    subjectId: opaqueId,
    recipientId: opaqueId,
    purposeId: opaqueId,
    dataCategories,
    consentId: opaqueId,
    /** The ConsentGranted event this share relies on. */
    consentEventId: z.uuid(),
    notice: noticeReference,
    sharedAt: isoInstant,
  }),
});

export const DataShareRefused = defineEvent({
  type: 'DataShareRefused',
  schemaVersion: 1,
  description: 'A recipient asked for a subject\'s data and was refused; the reason says which rule stopped it.',
  data: z.strictObject({
    shareId: opaqueId,
    subjectId: opaqueId,
    recipientId: opaqueId,
    purposeId: opaqueId,
    dataCategories,
    reason: z.enum(SHARE_REFUSAL_REASONS),
    /** The consent that came closest (withdrawn, expired, outdated), when there is one. */
    consentId: opaqueId.nullable(),
    notice: noticeReference.nullable(),
    refusedAt: isoInstant,
  }),
});

export const SubjectErased = defineEvent({
  type: 'SubjectErased',
  schemaVersion: 1,
  description:
    "The subject's personal data was erased (crypto-shredding): their data key is destroyed, every consent was withdrawn in the same step; money and consent records stay under the opaque id.",
  data: z.strictObject({
    subjectId: opaqueId,
    erasureId: opaqueId,
    requestedBy: z.enum(['subject', 'operator']),
    /** How many consents this erasure withdrew (they are recorded just before it). */
    consentsWithdrawn: z.number().int().min(0),
    erasedAt: isoInstant,
  }),
});

export const CATALOGUE_EVENTS = [PurposeDefined, RecipientDefined, NoticeVersionPublished] as const;
export const SUBJECT_EVENTS = [
  ConsentGranted,
  ConsentAttemptRejected,
  ConsentWithdrawn,
  WithdrawalNotificationIssued,
  DataShared,
  DataShareRefused,
  SubjectErased,
] as const;
export const CONSENT_EVENTS = [...CATALOGUE_EVENTS, ...SUBJECT_EVENTS];
export const CATALOGUE_EVENT_TYPES = CATALOGUE_EVENTS.map((e) => e.type);
export const SUBJECT_EVENT_TYPES = SUBJECT_EVENTS.map((e) => e.type);

export type PurposeDefinedEvent = EventOf<typeof PurposeDefined>;
export type RecipientDefinedEvent = EventOf<typeof RecipientDefined>;
export type NoticeVersionPublishedEvent = EventOf<typeof NoticeVersionPublished>;
export type CatalogueEvent = PurposeDefinedEvent | RecipientDefinedEvent | NoticeVersionPublishedEvent;

export type ConsentGrantedEvent = EventOf<typeof ConsentGranted>;
export type ConsentAttemptRejectedEvent = EventOf<typeof ConsentAttemptRejected>;
export type ConsentWithdrawnEvent = EventOf<typeof ConsentWithdrawn>;
export type WithdrawalNotificationIssuedEvent = EventOf<typeof WithdrawalNotificationIssued>;
export type DataSharedEvent = EventOf<typeof DataShared>;
export type DataShareRefusedEvent = EventOf<typeof DataShareRefused>;
export type SubjectErasedEvent = EventOf<typeof SubjectErased>;
export type SubjectEvent =
  | SubjectErasedEvent
  | ConsentGrantedEvent
  | ConsentAttemptRejectedEvent
  | ConsentWithdrawnEvent
  | WithdrawalNotificationIssuedEvent
  | DataSharedEvent
  | DataShareRefusedEvent;

export const subjectStream = (subjectId: string) => `subject-${subjectId}`;
export const noticeStream = (noticeId: string) => `notice-${noticeId}`;
export const purposeStream = (purposeId: string) => `purpose-${purposeId}`;
export const recipientStream = (recipientId: string) => `recipient-${recipientId}`;
