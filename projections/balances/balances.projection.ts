import { RecordedEvent } from '@attest/event-store';
import { Projection, ReadModelQueries } from '@attest/projection-runner';
import { EntryEvent, isEntryEvent, netByAccount, parseWalletAccount, postingsProblem, walletAccount } from '@attest/ledger';

/**
 * Balances, statements, the trial balance and the entry index, from the postings of every ledger
 * entry event (mirror events carry none and are not handled).
 *
 * - `ledger_postings`: one row per account an entry touched: its net change (`delta`), its change
 *   in held money (`held_delta`), the running balance after it, the global position and time.
 *   Point-in-time balances and the trial balance at any position are sums over these rows.
 * - `ledger_accounts`: current posted and held balance per account.
 * - `ledger_entries`: every entry by id, with the wallet stream that decided it, so commands on an
 *   existing entry (reverse it, settle a payout, accept a friend request) find their stream.
 * - `ledger_anomalies`: the projection's second check of the invariants (balanced postings, no
 *   wallet below zero unless a reversal was forced). It never throws on an event: a broken
 *   invariant is recorded here, where health checks and tests look, and the event is kept out of
 *   the balances if its postings do not balance.
 */
export const BALANCES_PROJECTION = 'balances';

const kindOf = (account: string): string => (account.startsWith('user:') ? 'user:wallet' : account.slice(0, account.lastIndexOf(':')));

interface Change {
  delta: bigint;
  heldDelta: bigint;
}

/** Each account an entry changes, with its change in posted and in held money. */
const changesOf = (event: EntryEvent): Map<string, Change> => {
  const changes = new Map<string, Change>();
  for (const [account, delta] of netByAccount(event.data.postings)) changes.set(account, { delta, heldDelta: 0n });
  const held = (account: string, heldDelta: bigint) => {
    const change = changes.get(account) ?? { delta: 0n, heldDelta: 0n };
    changes.set(account, { ...change, heldDelta: change.heldDelta + heldDelta });
  };
  if (event.type === 'FriendRequestFeeHeld') held(walletAccount(event.data.senderId, event.data.currency), event.data.amountMinor);
  if (event.type === 'FriendRequestFeeCaptured' || event.type === 'FriendRequestFeeReleased')
    held(walletAccount(event.data.senderId, event.data.currency), -event.data.amountMinor);
  return changes;
};

/** Who paid whom, for entries that can be reversed; null for the others. */
const reversible = (event: EntryEvent) => {
  if (event.type === 'TipSent')
    return { kind: 'tip', payerId: event.data.payerId, payeeId: event.data.payeeId, amount: event.data.amountMinor, fee: event.data.feeMinor, net: event.data.netMinor };
  if (event.type === 'FriendRequestFeeCaptured')
    return {
      kind: 'friend-request-fee',
      payerId: event.data.senderId,
      payeeId: event.data.recipientId,
      amount: event.data.amountMinor,
      fee: event.data.feeMinor,
      net: event.data.netMinor,
    };
  return null;
};

export const balancesProjection: Projection = {
  name: BALANCES_PROJECTION,
  version: 1,
  handles: ['FundsDeposited', 'TipSent', 'FriendRequestFeeHeld', 'FriendRequestFeeCaptured', 'FriendRequestFeeReleased', 'EntryReversed', 'PayoutRequested', 'PayoutSettled', 'PayoutFailed'],
  schema: [
    `CREATE TABLE IF NOT EXISTS ledger_postings (
      event_id TEXT NOT NULL, seq INTEGER NOT NULL, position BIGINT NOT NULL, recorded_at TEXT NOT NULL,
      entry_id TEXT NOT NULL, entry_type TEXT NOT NULL, account TEXT NOT NULL, account_kind TEXT NOT NULL, currency TEXT NOT NULL,
      delta BIGINT NOT NULL, held_delta BIGINT NOT NULL, balance_after BIGINT NOT NULL, held_after BIGINT NOT NULL,
      PRIMARY KEY (event_id, seq))`,
    'CREATE INDEX IF NOT EXISTS ledger_postings_account ON ledger_postings (account, position, seq)',
    'CREATE INDEX IF NOT EXISTS ledger_postings_account_time ON ledger_postings (account, recorded_at)',
    'CREATE INDEX IF NOT EXISTS ledger_postings_position ON ledger_postings (currency, position)',
    'CREATE INDEX IF NOT EXISTS ledger_postings_time ON ledger_postings (currency, recorded_at)',
    // Tips of a period (reconciliation's internal checks), without reading every other entry of it.
    "CREATE INDEX IF NOT EXISTS ledger_postings_tips ON ledger_postings (currency, recorded_at) WHERE entry_type = 'TipSent'",
    `CREATE TABLE IF NOT EXISTS ledger_accounts (
      account TEXT PRIMARY KEY, account_kind TEXT NOT NULL, currency TEXT NOT NULL,
      posted BIGINT NOT NULL, held BIGINT NOT NULL, last_position BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ledger_entries (
      entry_id TEXT PRIMARY KEY, entry_type TEXT NOT NULL, stream_id TEXT NOT NULL, wallet_user_id TEXT NOT NULL, currency TEXT NOT NULL,
      position BIGINT NOT NULL, recorded_at TEXT NOT NULL, reversible_kind TEXT, payer_id TEXT, payee_id TEXT,
      amount_minor BIGINT, fee_minor BIGINT, net_minor BIGINT, reversed_by TEXT)`,
    "CREATE INDEX IF NOT EXISTS ledger_entries_tips ON ledger_entries (currency, recorded_at) WHERE entry_type = 'TipSent'",
    `CREATE TABLE IF NOT EXISTS ledger_anomalies (event_id TEXT PRIMARY KEY, position BIGINT NOT NULL, problem TEXT NOT NULL)`,
  ],
  tables: ['ledger_postings', 'ledger_accounts', 'ledger_entries', 'ledger_anomalies'],

  async apply(raw, tx: ReadModelQueries) {
    const event = raw as RecordedEvent & EntryEvent;
    if (!isEntryEvent(event)) return;
    // Idempotent: an event already applied is skipped (the runner's checkpoint makes this rare).
    if (await tx.get('SELECT 1 AS one FROM ledger_entries WHERE entry_id = ?', event.data.entryId)) return;
    const { currency } = event.data;
    const problem = postingsProblem(event.data.postings, currency);
    if (problem) {
      await tx.run('INSERT INTO ledger_anomalies (event_id, position, problem) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', event.eventId, event.globalPosition, problem);
      return;
    }
    const walletUser = /^wallet-(.+)-[A-Z]{3}$/.exec(event.streamId)?.[1] ?? '';
    const swap = reversible(event);
    await tx.run(
      `INSERT INTO ledger_entries (entry_id, entry_type, stream_id, wallet_user_id, currency, position, recorded_at, reversible_kind, payer_id, payee_id, amount_minor, fee_minor, net_minor, reversed_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      event.data.entryId,
      event.type,
      event.streamId,
      walletUser,
      currency,
      event.globalPosition,
      event.metadata.recordedAt,
      swap?.kind ?? null,
      swap?.payerId ?? null,
      swap?.payeeId ?? null,
      swap?.amount ?? null,
      swap?.fee ?? null,
      swap?.net ?? null,
    );
    if (event.type === 'EntryReversed') await tx.run('UPDATE ledger_entries SET reversed_by = ? WHERE entry_id = ?', event.data.entryId, event.data.originalEntryId);
    let seq = 0;
    for (const [account, change] of changesOf(event)) {
      const current = await tx.get<{ posted: bigint; held: bigint }>('SELECT posted, held FROM ledger_accounts WHERE account = ?', account);
      const posted = (current?.posted ?? 0n) + change.delta;
      const held = (current?.held ?? 0n) + change.heldDelta;
      await tx.run(
        `INSERT INTO ledger_accounts (account, account_kind, currency, posted, held, last_position) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account) DO UPDATE SET posted = excluded.posted, held = excluded.held, last_position = excluded.last_position`,
        account,
        kindOf(account),
        currency,
        posted,
        held,
        event.globalPosition,
      );
      await tx.run(
        `INSERT INTO ledger_postings (event_id, seq, position, recorded_at, entry_id, entry_type, account, account_kind, currency, delta, held_delta, balance_after, held_after)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        event.eventId,
        seq++,
        event.globalPosition,
        event.metadata.recordedAt,
        event.data.entryId,
        event.type,
        account,
        kindOf(account),
        currency,
        change.delta,
        change.heldDelta,
        posted,
        held,
      );
      const forced = event.type === 'EntryReversed' && event.data.forced;
      if (posted < 0n && parseWalletAccount(account) && !forced)
        await tx.run(
          'INSERT INTO ledger_anomalies (event_id, position, problem) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          event.eventId,
          event.globalPosition,
          `${account} went below zero (${posted}) without a forced reversal`,
        );
    }
  },
};
