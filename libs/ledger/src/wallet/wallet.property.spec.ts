import { fold } from '@attest/decider';
import { walletAccount } from '../accounts';
import { netByAccount, postingsProblem } from '../postings';
import { mirrorOf, walletDecider, WalletCommand, WalletState } from './wallet.decider';
import { isEntryEvent, WalletEvent } from './wallet.events';
import { seededRandom } from '../../../../test/support/random';

const USERS = ['a', 'b', 'c', 'd', 'e'];
const limits = { minMinor: 1n, maxMinor: 20_000n };

/**
 * A random sequence of deposits, tips, friend-request fees (held, accepted, declined, withdrawn,
 * expired), reversals (some forced) and payouts (settled, failed), run through the wallet decider
 * with mirror events delivered to the other wallet exactly as the API writes them. After every
 * step: every entry balances, the sum of all accounts is zero, each wallet's decider balance
 * equals the sum of its postings, and no wallet is below zero unless a forced reversal did it.
 */
describe('wallet decider: random sequences keep the books balanced', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const streams = new Map<string, WalletEvent[]>(USERS.map((u) => [u, []]));
    const state = (user: string): WalletState => fold(walletDecider, streams.get(user) ?? []);
    const balances = new Map<string, bigint>();
    const forcedNegative = new Set<string>();
    const holds: Array<{ sender: string; holdId: string }> = [];
    const payouts: Array<{ user: string; payoutId: string }> = [];
    const reversible: Array<{ entryId: string; kind: 'tip' | 'friend-request-fee'; payerId: string; payeeId: string; amountMinor: bigint; feeMinor: bigint; netMinor: bigint }> = [];
    let n = 0;
    const nextId = () => `0190a000-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`;

    for (let step = 0; step < 250; step++) {
      const user = pick(USERS);
      const other = pick(USERS.filter((u) => u !== user));
      const wallet = { userId: user, currency: 'CNY' as const };
      const amountMinor = BigInt(1 + Math.floor(random() * 6_000));
      const entryId = nextId();
      let command: WalletCommand;
      let owner = user;
      const roll = random();
      if (roll < 0.2) command = { type: 'DepositFunds', wallet, entryId, amountMinor, amountCurrency: 'CNY', externalReference: `r${entryId}` };
      else if (roll < 0.55)
        command = { type: 'SendTip', wallet, entryId, payee: { userId: other, currency: 'CNY' }, amountMinor, amountCurrency: 'CNY', limits, commissionBasisPoints: 500 };
      else if (roll < 0.65)
        command = { type: 'HoldFriendRequestFee', wallet, entryId, recipient: { userId: other, currency: 'CNY' }, amountMinor, amountCurrency: 'CNY', limits, expiresAt: '2026-01-01T00:00:00.000Z' };
      else if (roll < 0.75 && holds.length > 0) {
        const hold = pick(holds);
        owner = hold.sender;
        const sender = { userId: hold.sender, currency: 'CNY' as const };
        const recipientId = state(hold.sender).holds.get(hold.holdId)?.recipientId ?? '';
        command = pick<WalletCommand>([
          { type: 'AcceptFriendRequest', wallet: sender, entryId, holdId: hold.holdId, recipientId, commissionBasisPoints: 500 },
          { type: 'DeclineFriendRequest', wallet: sender, entryId, holdId: hold.holdId, recipientId },
          { type: 'WithdrawFriendRequest', wallet: sender, entryId, holdId: hold.holdId },
          { type: 'ExpireFriendRequest', wallet: sender, entryId, holdId: hold.holdId, now: '2026-01-01T00:00:00.000Z' },
        ]);
      } else if (roll < 0.85 && reversible.length > 0) {
        const original = pick(reversible);
        owner = original.payeeId;
        command = { type: 'ReverseEntry', wallet: { userId: original.payeeId, currency: 'CNY' }, entryId, original: { ...original, currency: 'CNY' }, reason: 'test', force: random() < 0.3 };
      } else if (roll < 0.92) command = { type: 'RequestPayout', wallet, entryId, amountMinor, amountCurrency: 'CNY' };
      else if (payouts.length > 0) {
        const payout = pick(payouts);
        owner = payout.user;
        const payoutWallet = { userId: payout.user, currency: 'CNY' as const };
        command =
          random() < 0.5
            ? { type: 'SettlePayout', wallet: payoutWallet, entryId, payoutId: payout.payoutId, externalReference: 'out' }
            : { type: 'FailPayout', wallet: payoutWallet, entryId, payoutId: payout.payoutId, failureCode: 'FAILED' };
      } else continue;

      const decision = walletDecider.decide(command, state(owner));
      if (decision.kind === 'rejected') {
        expect(decision.events).toEqual([]); // a refused command writes nothing
        continue;
      }
      for (const event of decision.events) {
        streams.get(owner)?.push(event);
        const mirror = mirrorOf(event);
        if (mirror) streams.get(mirror.userId)?.push(mirror.event);
        if (!isEntryEvent(event)) continue;
        expect(postingsProblem(event.data.postings, 'CNY')).toBeNull();
        for (const [account, delta] of netByAccount(event.data.postings)) balances.set(account, (balances.get(account) ?? 0n) + delta);
        if (event.type === 'FriendRequestFeeHeld') holds.push({ sender: owner, holdId: event.data.holdId });
        if (event.type === 'PayoutRequested') payouts.push({ user: owner, payoutId: event.data.payoutId });
        if (event.type === 'TipSent') reversible.push({ entryId: event.data.entryId, kind: 'tip', payerId: event.data.payerId, payeeId: event.data.payeeId, amountMinor: event.data.amountMinor, feeMinor: event.data.feeMinor, netMinor: event.data.netMinor });
        if (event.type === 'FriendRequestFeeCaptured')
          reversible.push({ entryId: event.data.entryId, kind: 'friend-request-fee', payerId: event.data.senderId, payeeId: event.data.recipientId, amountMinor: event.data.amountMinor, feeMinor: event.data.feeMinor, netMinor: event.data.netMinor });
        if (event.type === 'EntryReversed' && event.data.forced) forcedNegative.add(event.data.payeeId);
      }

      // Invariants after every step.
      expect([...balances.values()].reduce((sum, value) => sum + value, 0n)).toBe(0n);
      for (const u of USERS) {
        const s = state(u);
        expect(s.balanceMinor).toBe(balances.get(walletAccount(u, 'CNY')) ?? 0n);
        if (!forcedNegative.has(u)) expect(s.balanceMinor).toBeGreaterThanOrEqual(0n);
        const open = [...s.holds.values()].filter((h) => h.status === 'held').reduce((sum, h) => sum + h.amountMinor, 0n);
        expect(s.heldMinor).toBe(open);
      }
    }
    expect(n).toBeGreaterThan(180);
  });
});
