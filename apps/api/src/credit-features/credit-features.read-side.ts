import { creditFeaturesJson, queryCreditFeatures } from '@attest/projections/credit-features/credit-features.queries';
import { ReadSideQuery } from '../infrastructure/read-side';

export interface CreditFeaturesQuery {
  subjectId: string;
  recipientId: string;
  /** ISO-8601 instant, not in the future. */
  asOf: string;
}

/**
 * A subject's features for one recipient as of an instant, in their wire form (JSON text). Runs
 * where the credit-features read model is written (the projection worker thread by default), after
 * the projection has applied the share decision that allowed the read.
 */
export const creditFeaturesRead: ReadSideQuery<CreditFeaturesQuery> = {
  name: 'credit-features',
  run: async (db, { subjectId, recipientId, asOf }) => creditFeaturesJson(await queryCreditFeatures(db, subjectId, recipientId, asOf)),
};
