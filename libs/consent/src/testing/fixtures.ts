import { CatalogueState, emptyCatalogue, evolveCatalogue } from '../catalogue';
import type { CatalogueEvent, Collection } from '../consent.events';
import { noticeTextHash } from '../ids';

/**
 * A small, realistic catalogue shared by the decider specs, the e2e tests and the benchmark:
 * credit scoring (sensitive, compatible with a credit-limit decision and nothing else), social
 * ranking and marketing (never compatible with credit data), a credit bureau and a lender as
 * named recipients, and a travel platform that no notice names.
 */
export const FIXTURE_TIME = '2026-01-10T09:00:00.000Z';

export const CREDIT_NOTICE_TEXT_V1 =
  'We use your transactions to compute a credit score and share it with Sesame Bureau and Acme Lending for credit decisions. You can withdraw at any time in Settings > Privacy.';
export const CREDIT_NOTICE_TEXT_V2 =
  'We use your transactions and your contacts to compute a credit score and share it with Sesame Bureau for credit decisions. You can withdraw at any time in Settings > Privacy.';

export const PURPOSES = [
  { purposeId: 'credit-scoring', description: 'Compute a credit score from payment history', sensitive: true, compatibleWith: ['credit-limit-decision'] },
  { purposeId: 'credit-limit-decision', description: 'Decide a credit limit', sensitive: true, compatibleWith: [] },
  { purposeId: 'social-ranking', description: 'Rank users socially', sensitive: false, compatibleWith: [] },
  { purposeId: 'marketing', description: 'Send offers', sensitive: false, compatibleWith: [] },
  { purposeId: 'service-improvement', description: 'Improve the app', sensitive: false, compatibleWith: [] },
] as const;

export const RECIPIENTS = [
  { recipientId: 'bureau', name: 'Sesame Bureau', contact: 'dpo@bureau.example', jurisdiction: 'CN' },
  { recipientId: 'lender', name: 'Acme Lending', contact: 'privacy@lender.example', jurisdiction: 'CN' },
  { recipientId: 'travel', name: 'Trip Platform', contact: 'legal@travel.example', jurisdiction: 'CN' },
] as const;

export const noticeV1 = {
  noticeId: 'credit-sharing',
  version: 1,
  language: 'en',
  text: CREDIT_NOTICE_TEXT_V1,
  controller: { name: 'PayApp Ltd', contact: 'privacy@payapp.example' },
  purposes: ['credit-limit-decision', 'credit-scoring', 'marketing', 'service-improvement'],
  recipients: ['bureau', 'lender'],
  dataCategories: ['credit-score', 'transactions'],
  retention: '3 years after the end of the relationship',
  howToWithdraw: 'Settings > Privacy > Withdraw, or POST /v1/subjects/{id}/consents/withdraw',
};

/** Version 2 adds the `contacts` category and drops the lender. */
export const noticeV2 = {
  ...noticeV1,
  version: 2,
  text: CREDIT_NOTICE_TEXT_V2,
  recipients: ['bureau'],
  dataCategories: ['contacts', 'credit-score', 'transactions'],
};

export const catalogueEvents = (time = FIXTURE_TIME): CatalogueEvent[] => [
  ...PURPOSES.map(
    (p): CatalogueEvent => ({
      type: 'PurposeDefined',
      data: { purposeId: p.purposeId, revision: 1, description: p.description, sensitive: p.sensitive, compatibleWith: [...p.compatibleWith], definedAt: time },
    }),
  ),
  ...RECIPIENTS.map(
    (r): CatalogueEvent => ({
      type: 'RecipientDefined',
      data: { recipientId: r.recipientId, revision: 1, jurisdiction: r.jurisdiction, definedAt: time },
      pii: { name: r.name, contact: r.contact },
    }),
  ),
  noticePublished(noticeV1, time),
];

export const noticePublished = (notice: typeof noticeV1, time = FIXTURE_TIME): CatalogueEvent => ({
  type: 'NoticeVersionPublished',
  data: {
    noticeId: notice.noticeId,
    version: notice.version,
    language: notice.language,
    text: notice.text,
    textHash: noticeTextHash(notice.text),
    purposes: [...notice.purposes].sort(),
    recipients: [...notice.recipients].sort(),
    dataCategories: [...notice.dataCategories].sort(),
    retention: notice.retention,
    howToWithdraw: notice.howToWithdraw,
    publishedAt: time,
  },
  pii: { controller: notice.controller },
});

export const fixtureCatalogue = (extra: CatalogueEvent[] = []): CatalogueState =>
  [...catalogueEvents(), ...extra].reduce(evolveCatalogue, emptyCatalogue());

/** A clean, separate, affirmative act: an unticked box ticked on its own screen. */
export const validCollection = (overrides: Partial<Collection> = {}): Collection => ({
  channel: 'mobile-app',
  surface: 'privacy/credit-sharing',
  checkboxDefault: 'unchecked',
  action: { kind: 'checkbox-tick', dedicated: true },
  alsoAccepted: [],
  ...overrides,
});
