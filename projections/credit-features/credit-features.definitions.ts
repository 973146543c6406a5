import type { RecordedEvent } from '@attest/event-store';
import { Currency, isCurrency, LEDGER_EVENT_TYPES, WalletEvent } from '@attest/ledger';

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

/**
 * The contribution of a ledger event, or null. Each mapping takes the side of the wallet whose
 * stream holds the event (payer for TipSent, payee for its mirror TipReceived, …), so an event
 * never counts twice and a subject's contributions all come from their own wallet streams.
 */
export const contributionOf = (event: RecordedEvent): Contribution | null => {
  if (!LEDGER_EVENT_TYPES.includes(event.type)) return null;
  const ledger = event as unknown as WalletEvent;
  const currency = ledger.data.currency;
  if (!isCurrency(currency)) return null;
  switch (ledger.type) {
    case 'FundsDeposited':
      return { subjectId: ledger.data.userId, currency, kind: 'deposit', amountMinor: ledger.data.amountMinor, counterpartyId: null };
    case 'TipSent':
      return { subjectId: ledger.data.payerId, currency, kind: 'tip-sent', amountMinor: ledger.data.amountMinor, counterpartyId: ledger.data.payeeId };
    case 'TipReceived':
      return { subjectId: ledger.data.payeeId, currency, kind: 'tip-received', amountMinor: ledger.data.netMinor, counterpartyId: ledger.data.payerId };
    case 'FriendRequestFeeCaptured':
      return { subjectId: ledger.data.senderId, currency, kind: 'fee-paid', amountMinor: ledger.data.amountMinor, counterpartyId: ledger.data.recipientId };
    case 'FriendRequestFeeReceived':
      return { subjectId: ledger.data.recipientId, currency, kind: 'fee-received', amountMinor: ledger.data.netMinor, counterpartyId: ledger.data.senderId };
    case 'FriendRequestFeeReleased':
      return { subjectId: ledger.data.senderId, currency, kind: 'fee-refunded', amountMinor: ledger.data.amountMinor, counterpartyId: ledger.data.recipientId };
    case 'EntryReversed':
      // On the payee's stream: the payee gave back what they had received.
      return { subjectId: ledger.data.payeeId, currency, kind: 'reversal', amountMinor: ledger.data.netMinor, counterpartyId: ledger.data.payerId };
    case 'ReversalCredited':
      // On the payer's stream: the payer got their money back.
      return { subjectId: ledger.data.payerId, currency, kind: 'reversal', amountMinor: ledger.data.amountMinor, counterpartyId: ledger.data.payeeId };
    case 'PayoutSettled':
      return { subjectId: ledger.data.userId, currency, kind: 'payout', amountMinor: ledger.data.amountMinor, counterpartyId: null };
    default:
      return null;
  }
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
