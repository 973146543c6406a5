import { accept, Decider, Decision, InvariantViolation, reject } from '@attest/decider';
import { systemAccount, walletAccount } from '../accounts';
import { AmountLimits, commissionFee, Currency, formatAmount } from '../money';
import { Posting, postingsProblem } from '../postings';
import {
  EntryReversed,
  FriendRequestFeeCaptured,
  FriendRequestFeeHeld,
  FriendRequestFeeReceived,
  FriendRequestFeeReleased,
  FundsDeposited,
  PayoutFailed,
  PayoutRequested,
  PayoutSettled,
  ReversalCredited,
  TipReceived,
  TipSent,
  WalletEvent,
} from './wallet.events';

/**
 * The wallet decider: one user's wallet in one currency, stream `wallet-<userId>-<CUR>`.
 *
 * A wallet is the consistency boundary for every rule that takes money *out* of it: the
 * balance check of a tip, a hold or a payout, a hold resolving exactly once, a payout settling
 * or failing once, an entry being reversed once. The command executor appends the decided
 * events with the revision the decision was made on, so two concurrent debits can never both
 * pass the balance check. Credits to *other* wallets are written atomically alongside as mirror
 * events with no revision check: a credit cannot break the other wallet's rules, and a stale
 * cached state of that wallet only costs a retry (see docs/adr/0008).
 *
 * Time, ids, limits and the commission rate come in the command; `decide` has no I/O.
 */

export interface Hold {
  recipientId: string;
  amountMinor: bigint;
  expiresAt: string;
  status: 'held' | 'captured' | 'declined' | 'withdrawn' | 'expired';
}

export interface Payout {
  amountMinor: bigint;
  status: 'requested' | 'settled' | 'failed';
}

export interface WalletState {
  /** Posted balance of the wallet (credits − debits): what it can spend. */
  balanceMinor: bigint;
  /** Sum of this wallet's friend-request fees sitting in escrow. */
  heldMinor: bigint;
  holds: Map<string, Hold>;
  payouts: Map<string, Payout>;
  /** Entries credited to this wallet that were reversed (ALREADY_REVERSED). */
  reversed: Set<string>;
  /** Processor references already deposited here (a second deposit with one is refused). */
  externalReferences: Set<string>;
}

interface Party {
  userId: string;
  currency: Currency;
}

export type WalletCommand =
  | { type: 'DepositFunds'; wallet: Party; entryId: string; amountMinor: bigint; amountCurrency: Currency; externalReference: string }
  | {
      type: 'SendTip';
      wallet: Party;
      entryId: string;
      payee: Party;
      amountMinor: bigint;
      amountCurrency: Currency;
      limits: AmountLimits | undefined;
      commissionBasisPoints: number;
      /** Free text from the payer (personal data: stored sealed). */
      note?: string | null;
    }
  | {
      type: 'HoldFriendRequestFee';
      wallet: Party;
      entryId: string;
      recipient: Party;
      amountMinor: bigint;
      amountCurrency: Currency;
      limits: AmountLimits | undefined;
      expiresAt: string;
    }
  | { type: 'AcceptFriendRequest'; wallet: Party; entryId: string; holdId: string; recipientId: string; commissionBasisPoints: number }
  | { type: 'DeclineFriendRequest'; wallet: Party; entryId: string; holdId: string; recipientId: string }
  | { type: 'WithdrawFriendRequest'; wallet: Party; entryId: string; holdId: string }
  | { type: 'ExpireFriendRequest'; wallet: Party; entryId: string; holdId: string; now: string }
  | {
      type: 'ReverseEntry';
      /** The payee's wallet: the money comes back out of it. */
      wallet: Party;
      entryId: string;
      original: {
        entryId: string;
        kind: 'tip' | 'friend-request-fee';
        payerId: string;
        payeeId: string;
        currency: Currency;
        amountMinor: bigint;
        feeMinor: bigint;
        netMinor: bigint;
      };
      reason: string;
      force: boolean;
    }
  | { type: 'RequestPayout'; wallet: Party; entryId: string; amountMinor: bigint; amountCurrency: Currency }
  | { type: 'SettlePayout'; wallet: Party; entryId: string; payoutId: string; externalReference: string }
  | { type: 'FailPayout'; wallet: Party; entryId: string; payoutId: string; failureCode: string };

export type WalletFailureCode =
  | 'INSUFFICIENT_FUNDS'
  | 'AMOUNT_OUT_OF_RANGE'
  | 'SELF_TIP'
  | 'CURRENCY_MISMATCH'
  | 'UNSUPPORTED_CURRENCY'
  | 'ALREADY_REVERSED'
  | 'NOT_REVERSIBLE'
  | 'NEGATIVE_BALANCE_NOT_FORCED'
  | 'HOLD_ALREADY_RESOLVED'
  | 'HOLD_NOT_FOUND'
  | 'HOLD_NOT_EXPIRED'
  | 'PAYOUT_NOT_FOUND'
  | 'PAYOUT_ALREADY_COMPLETED'
  | 'DUPLICATE_EXTERNAL_REFERENCE'
  | 'FORBIDDEN';

type Outcome = Decision<WalletEvent, WalletFailureCode>;

export const initialWalletState = (): WalletState => ({
  balanceMinor: 0n,
  heldMinor: 0n,
  holds: new Map(),
  payouts: new Map(),
  reversed: new Set(),
  externalReferences: new Set(),
});

/** Mirror events get an id derived from their entry's, so a retried append is a no-op too. */
export const mirrorEventId = (entryId: string): string => {
  // Flip the last hex digit: deterministic, still a UUID, never equal to the entry id.
  const last = entryId.slice(-1);
  const flipped = (parseInt(last, 16) ^ 0xf).toString(16);
  return entryId.slice(0, -1) + flipped;
};

/** A broken promise of the code, never an expected failure (the shared `invariant` cannot be used as an assertion through an import). */
function invariant(condition: boolean, message: string): void {
  if (!condition) throw new InvariantViolation(message);
}

/** Asserted on every entry before it leaves `decide` (and again by the balances projection). */
const balanced = (postings: Posting[], currency: Currency): Posting[] => {
  const problem = postingsProblem(postings, currency);
  invariant(problem === null, `unbalanced entry: ${problem ?? ''}`);
  return postings;
};

const wallet = (party: Party) => walletAccount(party.userId, party.currency);

const checkAmount = (amountMinor: bigint, amountCurrency: Currency, party: Party, limits: AmountLimits | undefined): Outcome | null => {
  if (amountCurrency !== party.currency)
    return reject('CURRENCY_MISMATCH', `the amount is in ${amountCurrency} but the wallet holds ${party.currency}`, { field: 'body.amount.currency' });
  if (!limits) return reject('UNSUPPORTED_CURRENCY', `no limits are configured for ${party.currency}`, { field: 'body.amount.currency' });
  if (amountMinor < limits.minMinor || amountMinor > limits.maxMinor)
    return reject(
      'AMOUNT_OUT_OF_RANGE',
      `the amount must be between ${formatAmount(limits.minMinor, party.currency)} and ${formatAmount(limits.maxMinor, party.currency)} ${party.currency}`,
      { field: 'body.amount.value', context: { min: formatAmount(limits.minMinor, party.currency), max: formatAmount(limits.maxMinor, party.currency) } },
    );
  return null;
};

const insufficient = (state: WalletState, amountMinor: bigint, currency: Currency): Outcome =>
  reject('INSUFFICIENT_FUNDS', `the wallet holds ${formatAmount(state.balanceMinor, currency)} ${currency}, ${formatAmount(amountMinor, currency)} needed`, {
    field: 'body.amount.value',
  });

const decideDeposit = (command: Extract<WalletCommand, { type: 'DepositFunds' }>, state: WalletState): Outcome => {
  const { wallet: party } = command;
  if (command.amountCurrency !== party.currency)
    return reject('CURRENCY_MISMATCH', `the amount is in ${command.amountCurrency} but the wallet holds ${party.currency}`, { field: 'body.amount.currency' });
  if (state.externalReferences.has(command.externalReference))
    return reject('DUPLICATE_EXTERNAL_REFERENCE', `processor reference ${command.externalReference} was already deposited`, { field: 'body.externalReference' });
  const event: FundsDeposited = {
    type: 'FundsDeposited',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      userId: party.userId,
      currency: party.currency,
      amountMinor: command.amountMinor,
      externalReference: command.externalReference,
      postings: balanced([{ debit: systemAccount('processor:clearing', party.currency), credit: wallet(party), amountMinor: command.amountMinor }], party.currency),
    },
  };
  return accept(event);
};

const decideTip = (command: Extract<WalletCommand, { type: 'SendTip' }>, state: WalletState): Outcome => {
  const { wallet: payer, payee } = command;
  if (payer.userId === payee.userId) return reject('SELF_TIP', 'a user cannot tip themselves', { field: 'body.to' });
  if (payee.currency !== payer.currency)
    return reject('CURRENCY_MISMATCH', `the payer's wallet holds ${payer.currency}, the payee's ${payee.currency}`, { field: 'body.to' });
  const amountProblem = checkAmount(command.amountMinor, command.amountCurrency, payer, command.limits);
  if (amountProblem) return amountProblem;
  if (state.balanceMinor < command.amountMinor) return insufficient(state, command.amountMinor, payer.currency);
  const feeMinor = commissionFee(command.amountMinor, command.commissionBasisPoints);
  const netMinor = command.amountMinor - feeMinor;
  const postings: Posting[] = [];
  if (netMinor > 0n) postings.push({ debit: wallet(payer), credit: wallet(payee), amountMinor: netMinor });
  if (feeMinor > 0n) postings.push({ debit: wallet(payer), credit: systemAccount('platform:commission', payer.currency), amountMinor: feeMinor });
  const sent: TipSent = {
    type: 'TipSent',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      payerId: payer.userId,
      payeeId: payee.userId,
      currency: payer.currency,
      amountMinor: command.amountMinor,
      feeMinor,
      netMinor,
      commissionBasisPoints: command.commissionBasisPoints,
      postings: balanced(postings, payer.currency),
    },
    pii: command.note ? { note: command.note } : null,
  };
  return accept(sent);
};

/** The mirror event for the other wallet of an entry, or null when the entry has none. */
export const mirrorOf = (event: WalletEvent): { userId: string; currency: Currency; event: WalletEvent } | null => {
  switch (event.type) {
    case 'TipSent': {
      const received: TipReceived = {
        type: 'TipReceived',
        eventId: mirrorEventId(event.data.entryId),
        data: { entryId: event.data.entryId, payerId: event.data.payerId, payeeId: event.data.payeeId, currency: event.data.currency, netMinor: event.data.netMinor },
      };
      return { userId: event.data.payeeId, currency: event.data.currency, event: received };
    }
    case 'FriendRequestFeeCaptured': {
      const received: FriendRequestFeeReceived = {
        type: 'FriendRequestFeeReceived',
        eventId: mirrorEventId(event.data.entryId),
        data: {
          entryId: event.data.entryId,
          holdId: event.data.holdId,
          senderId: event.data.senderId,
          recipientId: event.data.recipientId,
          currency: event.data.currency,
          netMinor: event.data.netMinor,
        },
      };
      return { userId: event.data.recipientId, currency: event.data.currency, event: received };
    }
    case 'EntryReversed': {
      const credited: ReversalCredited = {
        type: 'ReversalCredited',
        eventId: mirrorEventId(event.data.entryId),
        data: {
          entryId: event.data.entryId,
          originalEntryId: event.data.originalEntryId,
          payerId: event.data.payerId,
          payeeId: event.data.payeeId,
          currency: event.data.currency,
          amountMinor: event.data.amountMinor,
        },
      };
      return { userId: event.data.payerId, currency: event.data.currency, event: credited };
    }
    default:
      return null;
  }
};

const decideHold = (command: Extract<WalletCommand, { type: 'HoldFriendRequestFee' }>, state: WalletState): Outcome => {
  const { wallet: sender, recipient } = command;
  if (sender.userId === recipient.userId) return reject('SELF_TIP', 'a user cannot send themselves a friend request', { field: 'body.to' });
  if (recipient.currency !== sender.currency)
    return reject('CURRENCY_MISMATCH', `the sender's wallet holds ${sender.currency}, the recipient's ${recipient.currency}`, { field: 'body.to' });
  const amountProblem = checkAmount(command.amountMinor, command.amountCurrency, sender, command.limits);
  if (amountProblem) return amountProblem;
  if (state.balanceMinor < command.amountMinor) return insufficient(state, command.amountMinor, sender.currency);
  const held: FriendRequestFeeHeld = {
    type: 'FriendRequestFeeHeld',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      holdId: command.entryId,
      senderId: sender.userId,
      recipientId: recipient.userId,
      currency: sender.currency,
      amountMinor: command.amountMinor,
      expiresAt: command.expiresAt,
      postings: balanced([{ debit: wallet(sender), credit: systemAccount('holds:escrow', sender.currency), amountMinor: command.amountMinor }], sender.currency),
    },
  };
  return accept(held);
};

const openHold = (state: WalletState, holdId: string): Hold | Outcome => {
  const hold = state.holds.get(holdId);
  if (!hold) return reject('HOLD_NOT_FOUND', `no friend-request fee ${holdId} is held in this wallet`);
  if (hold.status !== 'held') return reject('HOLD_ALREADY_RESOLVED', `friend-request fee ${holdId} was already ${hold.status}`, { context: { holdStatus: hold.status } });
  return hold;
};
const isOutcome = (value: Hold | Payout | Outcome): value is Outcome => 'kind' in value;

const release = (
  command: { wallet: Party; entryId: string; holdId: string },
  hold: Hold,
  reason: FriendRequestFeeReleased['data']['reason'],
): Outcome => {
  const { wallet: sender } = command;
  const released: FriendRequestFeeReleased = {
    type: 'FriendRequestFeeReleased',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      holdId: command.holdId,
      senderId: sender.userId,
      recipientId: hold.recipientId,
      currency: sender.currency,
      amountMinor: hold.amountMinor,
      reason,
      postings: balanced([{ debit: systemAccount('holds:escrow', sender.currency), credit: wallet(sender), amountMinor: hold.amountMinor }], sender.currency),
    },
  };
  return accept(released);
};

const decideAccept = (command: Extract<WalletCommand, { type: 'AcceptFriendRequest' }>, state: WalletState): Outcome => {
  const hold = openHold(state, command.holdId);
  if (isOutcome(hold)) return hold;
  if (hold.recipientId !== command.recipientId) return reject('FORBIDDEN', 'only the recipient of a friend request can accept it');
  const { wallet: sender } = command;
  const recipient = walletAccount(hold.recipientId, sender.currency);
  const feeMinor = commissionFee(hold.amountMinor, command.commissionBasisPoints);
  const netMinor = hold.amountMinor - feeMinor;
  const escrow = systemAccount('holds:escrow', sender.currency);
  const postings: Posting[] = [];
  if (netMinor > 0n) postings.push({ debit: escrow, credit: recipient, amountMinor: netMinor });
  if (feeMinor > 0n) postings.push({ debit: escrow, credit: systemAccount('platform:commission', sender.currency), amountMinor: feeMinor });
  const captured: FriendRequestFeeCaptured = {
    type: 'FriendRequestFeeCaptured',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      holdId: command.holdId,
      senderId: sender.userId,
      recipientId: hold.recipientId,
      currency: sender.currency,
      amountMinor: hold.amountMinor,
      feeMinor,
      netMinor,
      commissionBasisPoints: command.commissionBasisPoints,
      postings: balanced(postings, sender.currency),
    },
  };
  return accept(captured);
};

const decideReversal = (command: Extract<WalletCommand, { type: 'ReverseEntry' }>, state: WalletState): Outcome => {
  const { wallet: payee, original } = command;
  invariant(original.payeeId === payee.userId && original.currency === payee.currency, 'a reversal is decided on the payee wallet of the original entry');
  invariant(original.feeMinor + original.netMinor === original.amountMinor, 'the original entry balances');
  if (state.reversed.has(original.entryId))
    return reject('ALREADY_REVERSED', `entry ${original.entryId} was already reversed`, { field: 'body.entryId' });
  const after = state.balanceMinor - original.netMinor;
  if (after < 0n && !command.force)
    return reject(
      'NEGATIVE_BALANCE_NOT_FORCED',
      `the reversal would leave ${walletAccount(payee.userId, payee.currency)} at ${formatAmount(after, payee.currency)}; send "force": true to record it anyway`,
      { field: 'body.force' },
    );
  const payer = walletAccount(original.payerId, original.currency);
  const postings: Posting[] = [];
  if (original.netMinor > 0n) postings.push({ debit: wallet(payee), credit: payer, amountMinor: original.netMinor });
  if (original.feeMinor > 0n) postings.push({ debit: systemAccount('platform:commission', original.currency), credit: payer, amountMinor: original.feeMinor });
  const reversed: EntryReversed = {
    type: 'EntryReversed',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      originalEntryId: original.entryId,
      originalKind: original.kind,
      payerId: original.payerId,
      payeeId: original.payeeId,
      currency: original.currency,
      amountMinor: original.amountMinor,
      feeMinor: original.feeMinor,
      netMinor: original.netMinor,
      forced: after < 0n,
      postings: balanced(postings, original.currency),
    },
    pii: { reason: command.reason },
  };
  return accept(reversed);
};

const pendingPayout = (state: WalletState, payoutId: string): Payout | Outcome => {
  const payout = state.payouts.get(payoutId);
  if (!payout) return reject('PAYOUT_NOT_FOUND', `no payout ${payoutId} in this wallet`);
  if (payout.status !== 'requested') return reject('PAYOUT_ALREADY_COMPLETED', `payout ${payoutId} was already ${payout.status}`, { context: { payoutStatus: payout.status } });
  return payout;
};

const decidePayout = (command: Extract<WalletCommand, { type: 'RequestPayout' }>, state: WalletState): Outcome => {
  const { wallet: party } = command;
  if (command.amountCurrency !== party.currency)
    return reject('CURRENCY_MISMATCH', `the amount is in ${command.amountCurrency} but the wallet holds ${party.currency}`, { field: 'body.amount.currency' });
  if (state.balanceMinor < command.amountMinor) return insufficient(state, command.amountMinor, party.currency);
  const requested: PayoutRequested = {
    type: 'PayoutRequested',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      payoutId: command.entryId,
      userId: party.userId,
      currency: party.currency,
      amountMinor: command.amountMinor,
      postings: balanced([{ debit: wallet(party), credit: systemAccount('payouts:clearing', party.currency), amountMinor: command.amountMinor }], party.currency),
    },
  };
  return accept(requested);
};

const decideSettle = (command: Extract<WalletCommand, { type: 'SettlePayout' }>, state: WalletState): Outcome => {
  const payout = pendingPayout(state, command.payoutId);
  if (isOutcome(payout)) return payout;
  const { wallet: party } = command;
  const settled: PayoutSettled = {
    type: 'PayoutSettled',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      payoutId: command.payoutId,
      userId: party.userId,
      currency: party.currency,
      amountMinor: payout.amountMinor,
      externalReference: command.externalReference,
      postings: balanced(
        [{ debit: systemAccount('payouts:clearing', party.currency), credit: systemAccount('processor:clearing', party.currency), amountMinor: payout.amountMinor }],
        party.currency,
      ),
    },
  };
  return accept(settled);
};

const decideFail = (command: Extract<WalletCommand, { type: 'FailPayout' }>, state: WalletState): Outcome => {
  const payout = pendingPayout(state, command.payoutId);
  if (isOutcome(payout)) return payout;
  const { wallet: party } = command;
  const failed: PayoutFailed = {
    type: 'PayoutFailed',
    eventId: command.entryId,
    data: {
      entryId: command.entryId,
      payoutId: command.payoutId,
      userId: party.userId,
      currency: party.currency,
      amountMinor: payout.amountMinor,
      failureCode: command.failureCode,
      postings: balanced([{ debit: systemAccount('payouts:clearing', party.currency), credit: wallet(party), amountMinor: payout.amountMinor }], party.currency),
    },
  };
  return accept(failed);
};

export const decideWallet = (command: WalletCommand, state: WalletState): Outcome => {
  switch (command.type) {
    case 'DepositFunds':
      return decideDeposit(command, state);
    case 'SendTip':
      return decideTip(command, state);
    case 'HoldFriendRequestFee':
      return decideHold(command, state);
    case 'AcceptFriendRequest':
      return decideAccept(command, state);
    case 'DeclineFriendRequest': {
      const hold = openHold(state, command.holdId);
      if (isOutcome(hold)) return hold;
      if (hold.recipientId !== command.recipientId) return reject('FORBIDDEN', 'only the recipient of a friend request can decline it');
      return release(command, hold, 'declined');
    }
    case 'WithdrawFriendRequest': {
      const hold = openHold(state, command.holdId);
      return isOutcome(hold) ? hold : release(command, hold, 'withdrawn');
    }
    case 'ExpireFriendRequest': {
      const hold = openHold(state, command.holdId);
      if (isOutcome(hold)) return hold;
      // ISO-8601 UTC instants of one format compare correctly as strings; Date.parse keeps it explicit.
      if (Date.parse(command.now) < Date.parse(hold.expiresAt))
        return reject('HOLD_NOT_EXPIRED', `friend-request fee ${command.holdId} is held until ${hold.expiresAt}`, { context: { expiresAt: hold.expiresAt } });
      return release(command, hold, 'expired');
    }
    case 'ReverseEntry':
      return decideReversal(command, state);
    case 'RequestPayout':
      return decidePayout(command, state);
    case 'SettlePayout':
      return decideSettle(command, state);
    case 'FailPayout':
      return decideFail(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown wallet command ${JSON.stringify(unknown)}`);
    }
  }
};

/**
 * Applies one event. For speed the collections of `state` are updated in place and a new
 * top-level object is returned: a wallet with many holds would otherwise copy its maps on every
 * event (quadratic replay). Callers never keep using a state after evolving it — the executor
 * replaces its cached state with the result, and `fold` threads it through.
 */
/**
 * The next top-level state with new totals, every member written out rather than
 * `{ ...state, balanceMinor }`: on Node 20's V8 each spread result gets a hidden class of its own,
 * so evolved states never shared one and every store into them missed its inline cache
 * (ADR 0022).
 */
const withTotals = (state: WalletState, balanceMinor: bigint, heldMinor: bigint): WalletState => ({
  balanceMinor,
  heldMinor,
  holds: state.holds,
  payouts: state.payouts,
  reversed: state.reversed,
  externalReferences: state.externalReferences,
});

export const evolveWallet = (state: WalletState, event: WalletEvent): WalletState => {
  switch (event.type) {
    case 'FundsDeposited':
      state.externalReferences.add(event.data.externalReference);
      return withTotals(state, state.balanceMinor + event.data.amountMinor, state.heldMinor);
    case 'TipSent':
      return withTotals(state, state.balanceMinor - event.data.amountMinor, state.heldMinor);
    case 'TipReceived':
      return withTotals(state, state.balanceMinor + event.data.netMinor, state.heldMinor);
    case 'FriendRequestFeeHeld':
      state.holds.set(event.data.holdId, { recipientId: event.data.recipientId, amountMinor: event.data.amountMinor, expiresAt: event.data.expiresAt, status: 'held' });
      return withTotals(state, state.balanceMinor - event.data.amountMinor, state.heldMinor + event.data.amountMinor);
    case 'FriendRequestFeeCaptured': {
      const hold = state.holds.get(event.data.holdId);
      if (hold) hold.status = 'captured';
      return withTotals(state, state.balanceMinor, state.heldMinor - event.data.amountMinor);
    }
    case 'FriendRequestFeeReleased': {
      const hold = state.holds.get(event.data.holdId);
      if (hold) hold.status = event.data.reason;
      return withTotals(state, state.balanceMinor + event.data.amountMinor, state.heldMinor - event.data.amountMinor);
    }
    case 'FriendRequestFeeReceived':
      return withTotals(state, state.balanceMinor + event.data.netMinor, state.heldMinor);
    case 'EntryReversed':
      state.reversed.add(event.data.originalEntryId);
      return withTotals(state, state.balanceMinor - event.data.netMinor, state.heldMinor);
    case 'ReversalCredited':
      return withTotals(state, state.balanceMinor + event.data.amountMinor, state.heldMinor);
    case 'PayoutRequested':
      state.payouts.set(event.data.payoutId, { amountMinor: event.data.amountMinor, status: 'requested' });
      return withTotals(state, state.balanceMinor - event.data.amountMinor, state.heldMinor);
    case 'PayoutSettled': {
      const payout = state.payouts.get(event.data.payoutId);
      if (payout) payout.status = 'settled';
      return withTotals(state, state.balanceMinor, state.heldMinor);
    }
    case 'PayoutFailed': {
      const payout = state.payouts.get(event.data.payoutId);
      if (payout) payout.status = 'failed';
      return withTotals(state, state.balanceMinor + event.data.amountMinor, state.heldMinor);
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown wallet event ${JSON.stringify(unknown)}`);
    }
  }
};

export const walletDecider: Decider<WalletCommand, WalletEvent, WalletState, WalletFailureCode> = {
  decide: decideWallet,
  evolve: evolveWallet,
  initialState: initialWalletState,
};

export const WALLET_DECIDER_NAME = 'wallet';
