import type { RecordedEvent, StoredEvent } from '@attest/event-store';
import { Currency, isCurrency, LEDGER_EVENTS, WalletEvent } from '@attest/ledger';

/**
 * What the credit features are made of, and what each one means. This file is the single
 * source of the definitions: the query computes exactly these, the API serves
 * `CREDIT_FEATURE_DEFINITIONS_VERSION` with every answer, and docs/credit-features.md describes
 * the same table in prose. Change a definition → raise the version (partners cite it).
 */
export const CREDIT_FEATURE_DEFINITIONS_VERSION = 'credit-features/1';

/** The purpose a consent must be in force for, for a ledger event to count (and the purpose the data is collected for). */
export const CREDIT_SCORING_PURPOSE = 'credit-scoring';

/**
 * The data categories credit features are derived from. A consent's notice must list them for
 * the window to be open, and a share of features declares them (the share gate checks both).
 */
export const CREDIT_FEATURE_DATA_CATEGORIES: readonly string[] = ['transactions'];

/** Every ledger event counts for exactly one subject: the owner of the wallet stream it sits on. */
export const CONTRIBUTION_KINDS = [
  'tip-sent',
  'tip-received',
  'deposit',
  'payout',
  'fee-paid',
  'fee-refunded',
  'fee-received',
  'reversal',
] as const;
export type ContributionKind = (typeof CONTRIBUTION_KINDS)[number];

/** One ledger event seen from its subject's side, before the consent windows are applied. */
export interface Contribution {
  subjectId: string;
  currency: Currency;
  kind: ContributionKind;
  /** Minor units, never negative: the amount that moved for this subject. */
  amountMinor: bigint;
  /** The other user (tips, friend-request fees, reversals); null for deposits and payouts. */
  counterpartyId: string | null;
}

/** The ledger event types that yield a contribution; the others (holds, payout requests and failures) are not behaviour we score. */
export const CONTRIBUTING_TYPES = [
  'FundsDeposited',
  'TipSent',
  'TipReceived',
  'FriendRequestFeeCaptured',
  'FriendRequestFeeReceived',
  'FriendRequestFeeReleased',
  'EntryReversed',
  'ReversalCredited',
  'PayoutSettled',
] as const;

type ContributingType = (typeof CONTRIBUTING_TYPES)[number];
type DataOf<T extends ContributingType> = Extract<WalletEvent, { type: T }>['data'];
type FieldsOf<D, V> = { [K in keyof D]-?: D[K] extends V ? K : never }[keyof D] & string;

/**
 * Which side of each contributing event is the subject, and which fields hold the amount and the
 * counterparty. Each mapping takes the side of the wallet whose stream holds the event (payer
 * for TipSent, payee for its mirror TipReceived, …), so an event never counts twice and a
 * subject's contributions all come from their own wallet streams. One table, read by both
 * `contributionOf` (decoded events) and `storedContributionOf` (the stored JSON).
 */
const CONTRIBUTION_FIELDS: {
  readonly [T in ContributingType]: { kind: ContributionKind; subject: FieldsOf<DataOf<T>, string>; amount: FieldsOf<DataOf<T>, bigint>; counterparty: FieldsOf<DataOf<T>, string> | null };
} = {
  FundsDeposited: { kind: 'deposit', subject: 'userId', amount: 'amountMinor', counterparty: null },
  TipSent: { kind: 'tip-sent', subject: 'payerId', amount: 'amountMinor', counterparty: 'payeeId' },
  TipReceived: { kind: 'tip-received', subject: 'payeeId', amount: 'netMinor', counterparty: 'payerId' },
  FriendRequestFeeCaptured: { kind: 'fee-paid', subject: 'senderId', amount: 'amountMinor', counterparty: 'recipientId' },
  FriendRequestFeeReceived: { kind: 'fee-received', subject: 'recipientId', amount: 'netMinor', counterparty: 'senderId' },
  FriendRequestFeeReleased: { kind: 'fee-refunded', subject: 'senderId', amount: 'amountMinor', counterparty: 'recipientId' },
  // On the payee's stream: the payee gave back what they had received.
  EntryReversed: { kind: 'reversal', subject: 'payeeId', amount: 'netMinor', counterparty: 'payerId' },
  // On the payer's stream: the payer got their money back.
  ReversalCredited: { kind: 'reversal', subject: 'payerId', amount: 'amountMinor', counterparty: 'payeeId' },
  PayoutSettled: { kind: 'payout', subject: 'userId', amount: 'amountMinor', counterparty: null },
};

type Fields = { kind: ContributionKind; subject: string; amount: string; counterparty: string | null };
const fieldsOf = (type: string): Fields | undefined =>
  Object.prototype.hasOwnProperty.call(CONTRIBUTION_FIELDS, type) ? (CONTRIBUTION_FIELDS as Record<string, Fields>)[type] : undefined;

/** The contribution of a decoded ledger event, or null (types that are not counted, unknown currencies). */
export const contributionOf = (event: RecordedEvent): Contribution | null => {
  const fields = fieldsOf(event.type);
  if (!fields) return null;
  const data = event.data as Record<string, unknown>;
  const currency = data['currency'] as string;
  if (!isCurrency(currency)) return null;
  return {
    subjectId: data[fields.subject] as string,
    currency,
    kind: fields.kind,
    amountMinor: data[fields.amount] as bigint,
    counterpartyId: fields.counterparty === null ? null : (data[fields.counterparty] as string),
  };
};

/** The current schema version of each contributing type (older stored versions are upcast by a full decode). */
const SCHEMA_VERSIONS = new Map(LEDGER_EVENTS.map((definition) => [definition.type as string, definition.schemaVersion]));
/** What the event schemas accept for the fields read here (opaqueId, a positive `bigintString`). */
const OPAQUE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const POSITIVE_INTEGER = /^[1-9]\d{0,30}$/;

/**
 * The contribution of a ledger event read straight from its stored JSON, without decoding the
 * whole event: `null` when the type does not count, `undefined` when the stored form is not one
 * this reader vouches for (an older schema version, or a field read here not in the canonical
 * form the schema writes), in which case the caller decodes the event with the schemas and uses
 * `contributionOf`. The stored JSON was produced by the same schemas when it was appended; the
 * fields read here are checked against them again (ids, currency, a positive decimal integer),
 * so whenever this returns a contribution it is the one `contributionOf` returns for the decoded
 * event. ("0" amounts, which some fields allow, take the decode path.)
 */
export const storedContributionOf = (event: StoredEvent): Contribution | null | undefined => {
  const fields = fieldsOf(event.type);
  if (!fields) return null;
  if (event.schemaVersion !== SCHEMA_VERSIONS.get(event.type)) return undefined;
  const data = event.data;
  const subjectId = data[fields.subject];
  const currency = data['currency'];
  const amount = data[fields.amount];
  const counterpartyId = fields.counterparty === null ? null : data[fields.counterparty];
  if (typeof subjectId !== 'string' || !OPAQUE_ID.test(subjectId)) return undefined;
  if (typeof currency !== 'string' || !isCurrency(currency)) return undefined;
  if (typeof amount !== 'string' || !POSITIVE_INTEGER.test(amount)) return undefined;
  if (fields.counterparty !== null && (typeof counterpartyId !== 'string' || !OPAQUE_ID.test(counterpartyId))) return undefined;
  return { subjectId, currency, kind: fields.kind, amountMinor: BigInt(amount), counterpartyId: counterpartyId as string | null };
};

export type FeatureWindow = '30d' | '90d' | 'lifetime';
export type FeatureUnit = 'events' | 'money' | 'counterparties' | 'basis-points' | 'days';

export interface FeatureDefinition {
  name: string;
  definition: string;
  window: FeatureWindow;
  unit: FeatureUnit;
}

export const WINDOW_DAYS = { '30d': 30, '90d': 90 } as const;

/**
 * Count and volume features: one (kind, window) pair each. "Counted" always means: a ledger
 * event inside a consent window for this recipient, not purged since (see README).
 */
export const FLOW_FEATURES: ReadonlyArray<FeatureDefinition & { kind: ContributionKind; measure: 'count' | 'volume'; window: '30d' | '90d' }> = [
  { name: 'tipsSentCount30d', kind: 'tip-sent', measure: 'count', window: '30d', unit: 'events', definition: 'Tips the subject sent (TipSent on their wallet).' },
  { name: 'tipsSentVolume30d', kind: 'tip-sent', measure: 'volume', window: '30d', unit: 'money', definition: 'Gross amount of the tips the subject sent (before commission).' },
  { name: 'tipsSentCount90d', kind: 'tip-sent', measure: 'count', window: '90d', unit: 'events', definition: 'Tips the subject sent.' },
  { name: 'tipsSentVolume90d', kind: 'tip-sent', measure: 'volume', window: '90d', unit: 'money', definition: 'Gross amount of the tips the subject sent.' },
  { name: 'tipsReceivedCount30d', kind: 'tip-received', measure: 'count', window: '30d', unit: 'events', definition: 'Tips the subject received (TipReceived on their wallet).' },
  { name: 'tipsReceivedVolume30d', kind: 'tip-received', measure: 'volume', window: '30d', unit: 'money', definition: 'Net amount credited to the subject by tips (after commission).' },
  { name: 'tipsReceivedCount90d', kind: 'tip-received', measure: 'count', window: '90d', unit: 'events', definition: 'Tips the subject received.' },
  { name: 'tipsReceivedVolume90d', kind: 'tip-received', measure: 'volume', window: '90d', unit: 'money', definition: 'Net amount credited to the subject by tips.' },
  { name: 'depositsCount90d', kind: 'deposit', measure: 'count', window: '90d', unit: 'events', definition: 'Deposits from the payment processor into the wallet (FundsDeposited).' },
  { name: 'depositsVolume90d', kind: 'deposit', measure: 'volume', window: '90d', unit: 'money', definition: 'Amount deposited.' },
  { name: 'payoutsCount90d', kind: 'payout', measure: 'count', window: '90d', unit: 'events', definition: 'Payouts the processor settled (PayoutSettled; requested or failed payouts do not count).' },
  { name: 'payoutsVolume90d', kind: 'payout', measure: 'volume', window: '90d', unit: 'money', definition: 'Amount paid out and settled.' },
  { name: 'friendRequestFeesPaidCount90d', kind: 'fee-paid', measure: 'count', window: '90d', unit: 'events', definition: 'Friend-request fees the subject paid: held fees captured when the request was accepted.' },
  { name: 'friendRequestFeesPaidVolume90d', kind: 'fee-paid', measure: 'volume', window: '90d', unit: 'money', definition: 'Amount of the friend-request fees paid.' },
  { name: 'friendRequestFeesRefundedCount90d', kind: 'fee-refunded', measure: 'count', window: '90d', unit: 'events', definition: 'Held friend-request fees returned to the subject (declined, withdrawn or expired).' },
  { name: 'friendRequestFeesRefundedVolume90d', kind: 'fee-refunded', measure: 'volume', window: '90d', unit: 'money', definition: 'Amount of the friend-request fees refunded.' },
];

/** Features computed from several kinds or from time. */
export const DERIVED_FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'distinctCounterparties90d',
    window: '90d',
    unit: 'counterparties',
    definition: 'Distinct other users the subject tipped, was tipped by, paid or was paid a friend-request fee by, or had a reversal with.',
  },
  {
    name: 'reversalRatio90d',
    window: '90d',
    unit: 'basis-points',
    definition:
      'Reversals involving the subject (as payer or payee) ÷ reversible entries involving the subject (tips sent and received, friend-request fees paid and received), ' +
      'in basis points rounded down; null when there were no reversible entries.',
  },
  {
    name: 'accountAgeDays',
    window: 'lifetime',
    unit: 'days',
    definition: 'Whole days (rounded down) from the earliest counted event to the instant of the answer (a currency appears once something is counted).',
  },
  {
    name: 'daysSinceLastActivity',
    window: 'lifetime',
    unit: 'days',
    definition: 'Whole days (rounded down) from the latest counted event to the instant of the answer.',
  },
];

export const FEATURE_DEFINITIONS: readonly FeatureDefinition[] = [
  ...FLOW_FEATURES.map(({ name, definition, window, unit }) => ({ name, definition, window, unit })),
  ...DERIVED_FEATURES,
];

/** Entries that can be reversed (the denominator of the reversal ratio). */
export const REVERSIBLE_KINDS: readonly ContributionKind[] = ['tip-sent', 'tip-received', 'fee-paid', 'fee-received'];
