import { CURRENCY_CODES } from '@attest/ledger';
import { CREDIT_FEATURE_DEFINITIONS_VERSION, DERIVED_FEATURES, FLOW_FEATURES } from './credit-features.definitions';
import { CreditFeatures, creditFeaturesJson, creditFeaturesToWire, FeatureValue } from './credit-features.queries';

/**
 * The read side answers `creditFeaturesJson`, written without building the wire objects; it must
 * be exactly the text `JSON.stringify(creditFeaturesToWire(…))` gives, byte for byte.
 */
describe('credit features: the wire form as JSON text', () => {
  const definitions = [...FLOW_FEATURES, ...DERIVED_FEATURES];
  const featuresWith = (valueOf: (i: number) => bigint | null, lineageOf: (i: number) => FeatureValue['lineage']) =>
    Object.fromEntries(definitions.map((d, i): [string, FeatureValue] => [d.name, { value: valueOf(i), unit: d.unit, window: d.window, lineage: lineageOf(i) }]));
  const answer = (subjectId: string, currencies: CreditFeatures['currencies']): CreditFeatures => ({
    subjectId,
    recipientId: 'bureau',
    asOf: '2026-11-22T12:00:00.000Z',
    definitionsVersion: CREDIT_FEATURE_DEFINITIONS_VERSION,
    currencies,
  });
  const expectSameText = (features: CreditFeatures) => expect(creditFeaturesJson(features)).toBe(JSON.stringify(creditFeaturesToWire(features)));

  it('writes every feature of every currency as JSON.stringify does: money in the currency exponent, counts, nulls, lineage', () => {
    const [first, second] = CURRENCY_CODES;
    if (!first) throw new Error('no currency');
    const some = featuresWith(
      (i) => (i % 5 === 4 ? null : BigInt(i * 12_345 + 7)),
      (i) => (i % 3 === 0 ? { sourceEvents: 0, fromPosition: null, toPosition: null } : { sourceEvents: i, fromPosition: BigInt(i), toPosition: 9_007_199_254_740_993n }),
    );
    // Every currency, whatever its exponent (JPY 0, CNY 2, KWD 3).
    for (const currency of CURRENCY_CODES) expectSameText(answer('u1', [{ currency, features: some }]));
    if (second) expectSameText(answer('u1', [{ currency: first, features: some }, { currency: second, features: featuresWith((i) => BigInt(i), () => ({ sourceEvents: 1, fromPosition: 5n, toPosition: 5n })) }]));
    // Amounts below one unit of the currency and zero.
    expectSameText(answer('u1', [{ currency: first, features: featuresWith((i) => (i % 2 === 0 ? 0n : 5n), () => ({ sourceEvents: 1, fromPosition: 1n, toPosition: 1n })) }]));
  });

  it('escapes identifiers as JSON.stringify does, and writes an answer with no currency', () => {
    expectSameText(answer('quote"back\\slash\nnew line \u0001 \u2028 ü 𝄞', []));
    expectSameText(answer('u2', [{ currency: 'CNY', features: {} }]));
  });
});
