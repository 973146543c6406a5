import { bigintString, defineEvent, EventOf, isoInstant, opaqueId } from '@attest/event-store';
import { z } from 'zod';
import { CURRENCY_CODES } from '../money';
import { postingSchema } from '../postings';

/**
 * Events of a wallet stream (`wallet-<userId>-<CUR>`).
 *
 * Two kinds:
 * - **Entry events** record one ledger entry: a balanced list of `postings` (debit = credit by
 *   construction) plus the business fields. They are written to the stream of the wallet whose
 *   rule decided them (the payer for a tip, the sender for a hold, the payee for a reversal).
 *   Balances, statements and the trial balance are projected from these postings only.
 * - **Mirror events** (`TipReceived`, `FriendRequestFeeReceived`, `ReversalCredited`) tell the
 *   *other* wallet of the entry that it was credited, so that wallet's decider knows its balance
 *   without reading anyone else's stream. They carry no postings and reference the entry id.
 */
const currency = z.enum(CURRENCY_CODES);
const amount = bigintString.refine((value) => value > 0n, 'must be positive');
const nonNegative = bigintString.refine((value) => value >= 0n, 'must not be negative');
const postings = z.array(postingSchema).min(1).max(8);
const entryId = z.uuid();
const reference = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 _ . : -');

export const FundsDeposited = defineEvent({
  type: 'FundsDeposited',
  schemaVersion: 1,
  description: "Money arrived from the payment processor into a user's wallet.",
  data: z.strictObject({ entryId, userId: opaqueId, currency, amountMinor: amount, externalReference: reference, postings }),
});

export const TipSent = defineEvent({
  type: 'TipSent',
  schemaVersion: 1,
  description: 'A user tipped another; the platform kept its commission and the payee got the rest.',
  data: z.strictObject({
    entryId,
    payerId: opaqueId,
    payeeId: opaqueId,
    currency,
    amountMinor: amount,
    feeMinor: nonNegative,
    netMinor: nonNegative,
    commissionBasisPoints: z.number().int().min(0).max(10_000),
    postings,
  }),
  // A note the payer typed is personal data: sealed with the payer's key, erased with them.
  pii: z.strictObject({ note: z.string().min(1).max(280) }).nullable(),
  piiOwner: (data) => data.payerId,
});

export const TipReceived = defineEvent({
  type: 'TipReceived',
  schemaVersion: 1,
  description: "Mirror of TipSent on the payee's wallet: it was credited netMinor.",
  data: z.strictObject({ entryId, payerId: opaqueId, payeeId: opaqueId, currency, netMinor: nonNegative }),
});

export const FriendRequestFeeHeld = defineEvent({
  type: 'FriendRequestFeeHeld',
  schemaVersion: 1,
  description: "A friend request's fee left the sender's wallet for escrow until it is accepted, declined, withdrawn or expired.",
  data: z.strictObject({
    entryId,
    holdId: entryId,
    senderId: opaqueId,
    recipientId: opaqueId,
    currency,
    amountMinor: amount,
    expiresAt: isoInstant,
    postings,
  }),
});

export const FriendRequestFeeCaptured = defineEvent({
  type: 'FriendRequestFeeCaptured',
  schemaVersion: 1,
  description: 'The recipient accepted a friend request: the held fee went to them, minus commission.',
  data: z.strictObject({
    entryId,
    holdId: entryId,
    senderId: opaqueId,
    recipientId: opaqueId,
    currency,
    amountMinor: amount,
    feeMinor: nonNegative,
    netMinor: nonNegative,
    commissionBasisPoints: z.number().int().min(0).max(10_000),
    postings,
  }),
});

export const FriendRequestFeeReceived = defineEvent({
  type: 'FriendRequestFeeReceived',
  schemaVersion: 1,
  description: "Mirror of FriendRequestFeeCaptured on the recipient's wallet: it was credited netMinor.",
  data: z.strictObject({ entryId, holdId: entryId, senderId: opaqueId, recipientId: opaqueId, currency, netMinor: nonNegative }),
});

export const FriendRequestFeeReleased = defineEvent({
  type: 'FriendRequestFeeReleased',
  schemaVersion: 1,
  description: 'A held friend-request fee went back to the sender (declined, withdrawn or expired).',
  data: z.strictObject({
    entryId,
    holdId: entryId,
    senderId: opaqueId,
    recipientId: opaqueId,
    currency,
    amountMinor: amount,
    reason: z.enum(['declined', 'withdrawn', 'expired']),
    postings,
  }),
});

export const EntryReversed = defineEvent({
  type: 'EntryReversed',
  schemaVersion: 1,
  description: 'Finance reversed a tip or an accepted friend-request fee with a compensating entry (the original is untouched).',
  data: z.strictObject({
    entryId,
    originalEntryId: entryId,
    originalKind: z.enum(['tip', 'friend-request-fee']),
    payerId: opaqueId,
    payeeId: opaqueId,
    currency,
    amountMinor: amount,
    feeMinor: nonNegative,
    netMinor: nonNegative,
    /** True when the reversal was forced through although it left the payee below zero. */
    forced: z.boolean(),
    postings,
  }),
  // The reason is free text written by a person: personal-data section, never hashed in clear.
  pii: z.strictObject({ reason: z.string().min(1).max(500) }),
  // It speaks about the payee's entry, so the payee's data key encrypts it (erased with them).
  piiOwner: (data) => data.payeeId,
});

export const ReversalCredited = defineEvent({
  type: 'ReversalCredited',
  schemaVersion: 1,
  description: "Mirror of EntryReversed on the original payer's wallet: it got amountMinor back.",
  data: z.strictObject({ entryId, originalEntryId: entryId, payerId: opaqueId, payeeId: opaqueId, currency, amountMinor: amount }),
});

export const PayoutRequested = defineEvent({
  type: 'PayoutRequested',
  schemaVersion: 1,
  description: 'A user asked to withdraw money: it moved from the wallet to payouts clearing.',
  data: z.strictObject({ entryId, payoutId: entryId, userId: opaqueId, currency, amountMinor: amount, postings }),
});

export const PayoutSettled = defineEvent({
  type: 'PayoutSettled',
  schemaVersion: 1,
  description: 'The processor confirmed a payout: the money left through processor clearing.',
  data: z.strictObject({ entryId, payoutId: entryId, userId: opaqueId, currency, amountMinor: amount, externalReference: reference, postings }),
});

export const PayoutFailed = defineEvent({
  type: 'PayoutFailed',
  schemaVersion: 1,
  description: 'The processor failed a payout: the money went back to the wallet.',
  data: z.strictObject({ entryId, payoutId: entryId, userId: opaqueId, currency, amountMinor: amount, failureCode: reference, postings }),
});

export const LEDGER_EVENTS = [
  FundsDeposited,
  TipSent,
  TipReceived,
  FriendRequestFeeHeld,
  FriendRequestFeeCaptured,
  FriendRequestFeeReceived,
  FriendRequestFeeReleased,
  EntryReversed,
  ReversalCredited,
  PayoutRequested,
  PayoutSettled,
  PayoutFailed,
] as const;

export const LEDGER_EVENT_TYPES: readonly string[] = LEDGER_EVENTS.map((definition) => definition.type);

/** Entry events: they carry postings. */
export const ENTRY_EVENT_TYPES = [
  'FundsDeposited',
  'TipSent',
  'FriendRequestFeeHeld',
  'FriendRequestFeeCaptured',
  'FriendRequestFeeReleased',
  'EntryReversed',
  'PayoutRequested',
  'PayoutSettled',
  'PayoutFailed',
] as const;

type Domain<Def> = EventOf<Def> & { eventId?: string };
export type FundsDeposited = Domain<typeof FundsDeposited>;
export type TipSent = Domain<typeof TipSent>;
export type TipReceived = Domain<typeof TipReceived>;
export type FriendRequestFeeHeld = Domain<typeof FriendRequestFeeHeld>;
export type FriendRequestFeeCaptured = Domain<typeof FriendRequestFeeCaptured>;
export type FriendRequestFeeReceived = Domain<typeof FriendRequestFeeReceived>;
export type FriendRequestFeeReleased = Domain<typeof FriendRequestFeeReleased>;
export type EntryReversed = Domain<typeof EntryReversed>;
export type ReversalCredited = Domain<typeof ReversalCredited>;
export type PayoutRequested = Domain<typeof PayoutRequested>;
export type PayoutSettled = Domain<typeof PayoutSettled>;
export type PayoutFailed = Domain<typeof PayoutFailed>;

export type WalletEvent =
  | FundsDeposited
  | TipSent
  | TipReceived
  | FriendRequestFeeHeld
  | FriendRequestFeeCaptured
  | FriendRequestFeeReceived
  | FriendRequestFeeReleased
  | EntryReversed
  | ReversalCredited
  | PayoutRequested
  | PayoutSettled
  | PayoutFailed;

export type EntryEvent = Extract<WalletEvent, { type: (typeof ENTRY_EVENT_TYPES)[number] }>;
export const isEntryEvent = (event: { type: string }): event is EntryEvent => (ENTRY_EVENT_TYPES as readonly string[]).includes(event.type);
