import { spec } from '@attest/decider/testing';
import { InvariantViolation } from '@attest/decider';
import { Currency } from '../money';
import { postingsProblem } from '../postings';
import { fold } from '@attest/decider';
import { mirrorEventId, mirrorOf, walletDecider, WalletCommand } from './wallet.decider';
import { WalletEvent } from './wallet.events';

const CNY: Currency = 'CNY';
const u1 = { userId: 'u1', currency: CNY };
const u2 = { userId: 'u2', currency: CNY };
const limits = { minMinor: 1n, maxMinor: 20_000n };
const id = (n: number) => `0190a000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

const deposited = (amountMinor: bigint, n = 1, reference = `ref-${n}`): WalletEvent => ({
  type: 'FundsDeposited',
  eventId: id(n),
  data: {
    entryId: id(n),
    userId: 'u1',
    currency: CNY,
    amountMinor,
    externalReference: reference,
    postings: [{ debit: 'processor:clearing:CNY', credit: 'user:u1:wallet:CNY', amountMinor }],
  },
});
const tip = (amountMinor: bigint, overrides: Partial<Extract<WalletCommand, { type: 'SendTip' }>> = {}): WalletCommand => ({
  type: 'SendTip',
  wallet: u1,
  entryId: id(100),
  payee: u2,
  amountMinor,
  amountCurrency: CNY,
  limits,
  commissionBasisPoints: 500,
  ...overrides,
});
const hold = (amountMinor: bigint, n = 200, expiresAt = '2026-01-08T00:00:00.000Z'): WalletEvent => ({
  type: 'FriendRequestFeeHeld',
  eventId: id(n),
  data: {
    entryId: id(n),
    holdId: id(n),
    senderId: 'u1',
    recipientId: 'u2',
    currency: CNY,
    amountMinor,
    expiresAt,
    postings: [{ debit: 'user:u1:wallet:CNY', credit: 'holds:escrow:CNY', amountMinor }],
  },
});
const payoutRequested = (amountMinor: bigint, n = 300): WalletEvent => ({
  type: 'PayoutRequested',
  eventId: id(n),
  data: { entryId: id(n), payoutId: id(n), userId: 'u1', currency: CNY, amountMinor, postings: [{ debit: 'user:u1:wallet:CNY', credit: 'payouts:clearing:CNY', amountMinor }] },
});
const original = { entryId: id(100), kind: 'tip' as const, payerId: 'u2', payeeId: 'u1', currency: CNY, amountMinor: 1000n, feeMinor: 50n, netMinor: 950n };
const received = (netMinor: bigint): WalletEvent => ({
  type: 'TipReceived',
  eventId: mirrorEventId(id(100)),
  data: { entryId: id(100), payerId: 'u2', payeeId: 'u1', currency: CNY, netMinor },
});
const reverse = (force = false): WalletCommand => ({ type: 'ReverseEntry', wallet: u1, entryId: id(400), original, reason: 'chargeback', force });

const wallet = spec(walletDecider);

describe('wallet decider: deposits', () => {
  it('credits the wallet from processor clearing', () => {
    wallet
      .given([])
      .when({ type: 'DepositFunds', wallet: u1, entryId: id(1), amountMinor: 5000n, amountCurrency: CNY, externalReference: 'ref-1' })
      .then([deposited(5000n)]);
  });
  it('refuses a second deposit with the same processor reference', () => {
    wallet
      .given([deposited(5000n, 1, 'psp-1')])
      .when({ type: 'DepositFunds', wallet: u1, entryId: id(2), amountMinor: 5000n, amountCurrency: CNY, externalReference: 'psp-1' })
      .thenRejects('DUPLICATE_EXTERNAL_REFERENCE');
  });
  it('refuses an amount in another currency than the wallet', () => {
    wallet
      .given([])
      .when({ type: 'DepositFunds', wallet: u1, entryId: id(1), amountMinor: 5000n, amountCurrency: 'USD', externalReference: 'ref-1' })
      .thenRejects('CURRENCY_MISMATCH');
  });
});

describe('wallet decider: tips', () => {
  it('puts the payer\'s note in the personal-data section, never in data', () => {
    const [sent] = wallet.given([deposited(5000n)]).when(tip(100n, { note: 'for the photo' })).thenAccepts();
    expect(sent).toMatchObject({ type: 'TipSent', pii: { note: 'for the photo' } });
    expect(JSON.stringify(sent?.data, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain('for the photo');
  });

  it('sends a tip: fee rounded down, payee gets amount − fee, entry balanced', () => {
    const [sent] = wallet.given([deposited(5000n)]).when(tip(1999n)).thenAccepts();
    expect(sent).toEqual({
      type: 'TipSent',
      eventId: id(100),
      data: {
        entryId: id(100),
        payerId: 'u1',
        payeeId: 'u2',
        currency: CNY,
        amountMinor: 1999n,
        feeMinor: 99n, // 1999 × 5 % = 99.95 → 99 (rounded down)
        netMinor: 1900n,
        commissionBasisPoints: 500,
        postings: [
          { debit: 'user:u1:wallet:CNY', credit: 'user:u2:wallet:CNY', amountMinor: 1900n },
          { debit: 'user:u1:wallet:CNY', credit: 'platform:commission:CNY', amountMinor: 99n },
        ],
      },
      pii: null,
    });
    if (!sent || sent.type !== 'TipSent') throw new Error('expected TipSent');
    expect(postingsProblem(sent.data.postings, 'CNY')).toBeNull();
    expect(mirrorOf(sent)).toEqual({
      userId: 'u2',
      currency: CNY,
      event: { type: 'TipReceived', eventId: mirrorEventId(id(100)), data: { entryId: id(100), payerId: 'u1', payeeId: 'u2', currency: CNY, netMinor: 1900n } },
    });
  });
  it('a tip of the whole balance is allowed; a fee that rounds to zero leaves a single posting', () => {
    const [sent] = wallet.given([deposited(19n)]).when(tip(19n)).thenAccepts();
    expect(sent?.type === 'TipSent' && sent.data.postings).toEqual([{ debit: 'user:u1:wallet:CNY', credit: 'user:u2:wallet:CNY', amountMinor: 19n }]);
  });
  it('refuses more than the balance', () => { wallet.given([deposited(5000n)]).when(tip(5001n)).thenRejects('INSUFFICIENT_FUNDS'); });
  it('refuses an empty wallet', () => { wallet.given([]).when(tip(1n)).thenRejects('INSUFFICIENT_FUNDS'); });
  it('refuses above the maximum', () => { wallet.given([deposited(50_000n)]).when(tip(20_001n)).thenRejects('AMOUNT_OUT_OF_RANGE'); });
  it('refuses below the minimum', () => {
    wallet.given([deposited(5000n)]).when(tip(99n, { limits: { minMinor: 100n, maxMinor: 20_000n } })).thenRejects('AMOUNT_OUT_OF_RANGE');
  });
  it('refuses a tip to oneself', () => { wallet.given([deposited(5000n)]).when(tip(100n, { payee: u1 })).thenRejects('SELF_TIP'); });
  it('refuses a payee wallet in another currency', () => {
    wallet.given([deposited(5000n)]).when(tip(100n, { payee: { userId: 'u2', currency: 'USD' } })).thenRejects('CURRENCY_MISMATCH');
  });
  it('refuses an amount in another currency', () => { wallet.given([deposited(5000n)]).when(tip(100n, { amountCurrency: 'USD' })).thenRejects('CURRENCY_MISMATCH'); });
  it('refuses a currency without configured limits', () => {
    wallet.given([deposited(5000n)]).when(tip(100n, { limits: undefined })).thenRejects('UNSUPPORTED_CURRENCY');
  });
  it('balance follows tips sent and received', () => {
    const state = fold(walletDecider, [deposited(5000n), received(950n)]);
    expect(state.balanceMinor).toBe(5950n);
  });
});

describe('wallet decider: friend-request fees (holds)', () => {
  const holdCommand = (amountMinor: bigint): WalletCommand => ({
    type: 'HoldFriendRequestFee',
    wallet: u1,
    entryId: id(200),
    recipient: u2,
    amountMinor,
    amountCurrency: CNY,
    limits,
    expiresAt: '2026-01-08T00:00:00.000Z',
  });
  it('holds the fee in escrow', () => { wallet.given([deposited(5000n)]).when(holdCommand(1000n)).then([hold(1000n)]); });
  it('refuses a hold beyond the balance', () => { wallet.given([deposited(500n)]).when(holdCommand(1000n)).thenRejects('INSUFFICIENT_FUNDS'); });
  it('refuses a hold beyond the limits', () => { wallet.given([deposited(50_000n)]).when(holdCommand(30_000n)).thenRejects('AMOUNT_OUT_OF_RANGE'); });
  it('refuses a friend request to oneself', () => {
    wallet.given([deposited(5000n)]).when({ ...(holdCommand(100n) as Extract<WalletCommand, { type: 'HoldFriendRequestFee' }>), recipient: u1 }).thenRejects('SELF_TIP');
  });
  it('refuses a recipient wallet in another currency', () => {
    wallet
      .given([deposited(5000n)])
      .when({ ...(holdCommand(100n) as Extract<WalletCommand, { type: 'HoldFriendRequestFee' }>), recipient: { userId: 'u2', currency: 'USD' } })
      .thenRejects('CURRENCY_MISMATCH');
  });
  it('a held fee is not spendable', () => {
    const state = fold(walletDecider, [deposited(1000n), hold(1000n)]);
    expect([state.balanceMinor, state.heldMinor]).toEqual([0n, 1000n]);
    wallet.given([deposited(1000n), hold(1000n)]).when(tip(1n)).thenRejects('INSUFFICIENT_FUNDS');
  });

  const accept: WalletCommand = { type: 'AcceptFriendRequest', wallet: u1, entryId: id(201), holdId: id(200), recipientId: 'u2', commissionBasisPoints: 500 };
  it('accepting posts the fee to the recipient minus commission', () => {
    const [captured] = wallet.given([deposited(5000n), hold(1000n)]).when(accept).thenAccepts();
    expect(captured).toMatchObject({
      type: 'FriendRequestFeeCaptured',
      data: {
        holdId: id(200),
        feeMinor: 50n,
        netMinor: 950n,
        postings: [
          { debit: 'holds:escrow:CNY', credit: 'user:u2:wallet:CNY', amountMinor: 950n },
          { debit: 'holds:escrow:CNY', credit: 'platform:commission:CNY', amountMinor: 50n },
        ],
      },
    });
    expect(captured && mirrorOf(captured)?.event).toMatchObject({ type: 'FriendRequestFeeReceived', data: { recipientId: 'u2', netMinor: 950n } });
  });
  it('only the recipient may accept or decline', () => {
    wallet.given([deposited(5000n), hold(1000n)]).when({ ...accept, recipientId: 'u3' } as WalletCommand).thenRejects('FORBIDDEN');
    wallet
      .given([deposited(5000n), hold(1000n)])
      .when({ type: 'DeclineFriendRequest', wallet: u1, entryId: id(201), holdId: id(200), recipientId: 'u3' })
      .thenRejects('FORBIDDEN');
  });
  it('declining, withdrawing and expiring return the fee to the sender', () => {
    for (const [command, reason] of [
      [{ type: 'DeclineFriendRequest', wallet: u1, entryId: id(201), holdId: id(200), recipientId: 'u2' }, 'declined'],
      [{ type: 'WithdrawFriendRequest', wallet: u1, entryId: id(201), holdId: id(200) }, 'withdrawn'],
      [{ type: 'ExpireFriendRequest', wallet: u1, entryId: id(201), holdId: id(200), now: '2026-01-08T00:00:00.000Z' }, 'expired'],
    ] as Array<[WalletCommand, string]>) {
      const [released] = wallet.given([deposited(5000n), hold(1000n)]).when(command).thenAccepts();
      expect(released).toMatchObject({
        type: 'FriendRequestFeeReleased',
        data: { reason, amountMinor: 1000n, postings: [{ debit: 'holds:escrow:CNY', credit: 'user:u1:wallet:CNY', amountMinor: 1000n }] },
      });
      if (!released) throw new Error('no event');
      expect(fold(walletDecider, [deposited(5000n), hold(1000n), released])).toMatchObject({ balanceMinor: 5000n, heldMinor: 0n });
    }
  });
  it('refuses to expire before the expiry instant (time comes in the command)', () => {
    wallet
      .given([deposited(5000n), hold(1000n)])
      .when({ type: 'ExpireFriendRequest', wallet: u1, entryId: id(201), holdId: id(200), now: '2026-01-07T23:59:59.999Z' })
      .thenRejects('HOLD_NOT_EXPIRED');
  });
  it('a hold resolves exactly once', () => {
    const [captured] = wallet.given([deposited(5000n), hold(1000n)]).when(accept).thenAccepts();
    if (!captured) throw new Error('no event');
    const failure = wallet
      .given([deposited(5000n), hold(1000n), captured])
      .when({ type: 'WithdrawFriendRequest', wallet: u1, entryId: id(202), holdId: id(200) })
      .thenRejects('HOLD_ALREADY_RESOLVED');
    expect(failure.context).toEqual({ holdStatus: 'captured' });
    wallet.given([deposited(5000n), hold(1000n), captured]).when(accept).thenRejects('HOLD_ALREADY_RESOLVED');
  });
  it('an unknown hold is HOLD_NOT_FOUND', () => {
    wallet.given([deposited(5000n)]).when({ type: 'WithdrawFriendRequest', wallet: u1, entryId: id(202), holdId: id(999) }).thenRejects('HOLD_NOT_FOUND');
  });
});

describe('wallet decider: reversals (decided on the payee wallet)', () => {
  it('returns net from the payee and the fee from commission to the payer', () => {
    const [reversed] = wallet.given([received(950n)]).when(reverse()).thenAccepts();
    expect(reversed).toMatchObject({
      type: 'EntryReversed',
      pii: { reason: 'chargeback' },
      data: {
        originalEntryId: id(100),
        forced: false,
        postings: [
          { debit: 'user:u1:wallet:CNY', credit: 'user:u2:wallet:CNY', amountMinor: 950n },
          { debit: 'platform:commission:CNY', credit: 'user:u2:wallet:CNY', amountMinor: 50n },
        ],
      },
    });
    expect(reversed && mirrorOf(reversed)).toMatchObject({ userId: 'u2', event: { type: 'ReversalCredited', data: { amountMinor: 1000n } } });
  });
  it('refuses a second reversal of the same entry', () => {
    const [reversed] = wallet.given([received(950n), deposited(5000n)]).when(reverse()).thenAccepts();
    if (!reversed) throw new Error('no event');
    wallet.given([received(950n), deposited(5000n), reversed]).when(reverse()).thenRejects('ALREADY_REVERSED');
  });
  it('refuses to make the payee negative unless forced, and records the force', () => {
    wallet.given([received(950n), payoutRequested(900n)]).when(reverse()).thenRejects('NEGATIVE_BALANCE_NOT_FORCED');
    const [forced] = wallet.given([received(950n), payoutRequested(900n)]).when(reverse(true)).thenAccepts();
    expect(forced).toMatchObject({ data: { forced: true } });
    if (!forced) throw new Error('no event');
    expect(fold(walletDecider, [received(950n), payoutRequested(900n), forced]).balanceMinor).toBe(-900n);
  });
  it('force on a reversal that stays positive is not recorded as forced', () => {
    const [reversed] = wallet.given([received(950n)]).when(reverse(true)).thenAccepts();
    expect(reversed).toMatchObject({ data: { forced: false } });
  });
  it('is decided only on the payee wallet of the original (a broken caller is a bug)', () => {
    expect(() => wallet.given([]).when({ ...(reverse() as Extract<WalletCommand, { type: 'ReverseEntry' }>), wallet: u2 })).toThrow(InvariantViolation);
  });
});

describe('wallet decider: payouts', () => {
  const request = (amountMinor: bigint): WalletCommand => ({ type: 'RequestPayout', wallet: u1, entryId: id(300), amountMinor, amountCurrency: CNY });
  it('moves funds to payouts clearing', () => { wallet.given([deposited(5000n)]).when(request(4000n)).then([payoutRequested(4000n)]); });
  it('refuses more than the balance', () => { wallet.given([deposited(5000n)]).when(request(5001n)).thenRejects('INSUFFICIENT_FUNDS'); });
  it('refuses another currency', () => {
    wallet.given([deposited(5000n)]).when({ ...(request(1n) as Extract<WalletCommand, { type: 'RequestPayout' }>), amountCurrency: 'USD' }).thenRejects('CURRENCY_MISMATCH');
  });
  it('settling sends the money out through processor clearing', () => {
    const [settled] = wallet
      .given([deposited(5000n), payoutRequested(4000n)])
      .when({ type: 'SettlePayout', wallet: u1, entryId: id(301), payoutId: id(300), externalReference: 'psp-out-1' })
      .thenAccepts();
    expect(settled).toMatchObject({ type: 'PayoutSettled', data: { postings: [{ debit: 'payouts:clearing:CNY', credit: 'processor:clearing:CNY', amountMinor: 4000n }] } });
  });
  it('failing returns the funds to the wallet', () => {
    const [failed] = wallet
      .given([deposited(5000n), payoutRequested(4000n)])
      .when({ type: 'FailPayout', wallet: u1, entryId: id(301), payoutId: id(300), failureCode: 'ACCOUNT_CLOSED' })
      .thenAccepts();
    expect(failed).toMatchObject({ type: 'PayoutFailed', data: { postings: [{ debit: 'payouts:clearing:CNY', credit: 'user:u1:wallet:CNY', amountMinor: 4000n }] } });
    if (!failed) throw new Error('no event');
    expect(fold(walletDecider, [deposited(5000n), payoutRequested(4000n), failed]).balanceMinor).toBe(5000n);
  });
  it('a payout completes once; an unknown payout is PAYOUT_NOT_FOUND', () => {
    const settle: WalletCommand = { type: 'SettlePayout', wallet: u1, entryId: id(301), payoutId: id(300), externalReference: 'psp-out-1' };
    const [settled] = wallet.given([deposited(5000n), payoutRequested(4000n)]).when(settle).thenAccepts();
    if (!settled) throw new Error('no event');
    wallet
      .given([deposited(5000n), payoutRequested(4000n), settled])
      .when({ type: 'FailPayout', wallet: u1, entryId: id(302), payoutId: id(300), failureCode: 'X' })
      .thenRejects('PAYOUT_ALREADY_COMPLETED');
    wallet.given([deposited(5000n)]).when(settle).thenRejects('PAYOUT_NOT_FOUND');
  });
});
