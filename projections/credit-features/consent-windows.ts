import {
  CatalogueEvent,
  CatalogueState,
  emptyCatalogue,
  evaluateShare,
  evolveCatalogue,
  evolveSubject,
  initialSubjectState,
  purposeCovers,
  SubjectState,
  SubjectStreamEvent,
} from '@attest/consent';
import { CREDIT_FEATURE_DATA_CATEGORIES, CREDIT_SCORING_PURPOSE } from './credit-features.definitions';

/**
 * Consent windows, decided by the consent domain's own rules: a window for (subject, recipient)
 * is open at an instant exactly when the share gate (`evaluateShare`) would let that recipient
 * receive the subject's transaction data for `credit-scoring` at that instant. So withdrawal,
 * expiry, a notice version that drops the recipient or the purpose (NOTICE_OUTDATED), and a
 * purpose redefinition all close the window the same way they refuse a share, with no second
 * copy of the rules to drift.
 *
 * The projection keeps, per subject, only the consent events the gate needs (grants to a named
 * recipient and their withdrawals), stripped of personal data, and folds them with
 * `evolveSubject`; the catalogue is folded with `evolveCatalogue` from its events (without their
 * personal-data sections, which the gate never reads).
 */

/** A consent event as the projection keeps it: what `evolveSubject` reads, no `pii`. */
export type KeptConsentEvent = Extract<SubjectStreamEvent, { type: 'ConsentGranted' | 'ConsentWithdrawn' }>;
export type KeptCatalogueEvent = CatalogueEvent;

export const foldSubject = (events: readonly KeptConsentEvent[]): SubjectState => events.reduce(evolveSubject, initialSubjectState());
export const foldCatalogue = (events: readonly KeptCatalogueEvent[]): CatalogueState => events.reduce(evolveCatalogue, emptyCatalogue());

/** The recipients a subject's consents name, sorted (deterministic row order). */
export const namedRecipients = (state: SubjectState): readonly string[] => {
  const named = new Set<string>();
  for (const consent of state.consents.values()) if (consent.recipientId !== null) named.add(consent.recipientId);
  return [...named].sort();
};

/**
 * Recipients for which the subject's credit-scoring window is open at `at`, sorted. Callers that
 * keep `namedRecipients(state)` next to the state pass it, so it is not rebuilt per event.
 */
export const openRecipients = (state: SubjectState, catalogue: CatalogueState, at: string, recipients: readonly string[] = namedRecipients(state)): string[] => {
  const open: string[] = [];
  for (const recipientId of recipients) {
    const verdict = evaluateShare(
      state,
      { recipientId, purposeId: CREDIT_SCORING_PURPOSE, dataCategories: CREDIT_FEATURE_DATA_CATEGORIES, collectedFor: null, now: at },
      catalogue,
    );
    if (verdict.allowed) open.push(recipientId);
  }
  return open;
};

/**
 * Does this withdrawal purge the subject's features for its recipient? Yes when the withdrawn
 * consent was one that could open a credit-scoring window (its purpose covers credit-scoring,
 * per the catalogue at that point). A withdrawal of a marketing consent purges nothing.
 */
export const purgesFeatures = (withdrawal: Extract<KeptConsentEvent, { type: 'ConsentWithdrawn' }>, catalogue: CatalogueState): boolean =>
  withdrawal.data.recipientId !== null && purposeCovers(catalogue, withdrawal.data.purposeId, CREDIT_SCORING_PURPOSE);
