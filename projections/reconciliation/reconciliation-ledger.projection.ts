import { RecordedEvent } from '@attest/event-store';
import { EntryEvent, isEntryEvent } from '@attest/ledger';
import { Projection, ReadModelQueries } from '@attest/projection-runner';

/**
 * What reconciliation needs from the ledger and the balances projection does not keep:
 *
 * - `recon_ledger_refs`: every ledger event that carries the payment processor's reference —
 *   deposits (`FundsDeposited.externalReference`) and settled payouts
 *   (`PayoutSettled.externalReference`) — with its amount and time, indexed by time for the
 *   period's window. The ledger events already carried these references; nothing in the ledger
 *   changed for reconciliation.
 * - `recon_holds`: friend-request holds with when they were held and resolved, so "open at the
 *   end of the period" is a query (held fees = open friend requests).
 * - `recon_reversals`: each reversal with the original entry it names (the balances projection
 *   only marks the original, so a reversal of a missing entry would leave no trace there).
 */
export const RECONCILIATION_LEDGER_PROJECTION = 'reconciliation-ledger';

export const reconciliationLedgerProjection: Projection = {
  name: RECONCILIATION_LEDGER_PROJECTION,
  version: 1,
  handles: ['FundsDeposited', 'PayoutSettled', 'FriendRequestFeeHeld', 'FriendRequestFeeCaptured', 'FriendRequestFeeReleased', 'EntryReversed'],
  schema: [
    `CREATE TABLE IF NOT EXISTS recon_ledger_refs (
      entry_id TEXT PRIMARY KEY, kind TEXT NOT NULL, reference TEXT NOT NULL, currency TEXT NOT NULL,
      amount_minor BIGINT NOT NULL, recorded_at_ms BIGINT NOT NULL, position BIGINT NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS recon_ledger_refs_time ON recon_ledger_refs (recorded_at_ms, entry_id)',
    `CREATE TABLE IF NOT EXISTS recon_holds (
      hold_id TEXT PRIMARY KEY, currency TEXT NOT NULL, amount_minor BIGINT NOT NULL, held_at TEXT NOT NULL, resolved_at TEXT)`,
    'CREATE INDEX IF NOT EXISTS recon_holds_time ON recon_holds (currency, held_at)',
    `CREATE TABLE IF NOT EXISTS recon_reversals (
      entry_id TEXT PRIMARY KEY, original_entry_id TEXT NOT NULL, currency TEXT NOT NULL, recorded_at TEXT NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS recon_reversals_time ON recon_reversals (recorded_at)',
  ],
  tables: ['recon_ledger_refs', 'recon_holds', 'recon_reversals'],

  async apply(raw, tx: ReadModelQueries) {
    const event = raw as RecordedEvent & EntryEvent;
    if (!isEntryEvent(event)) return;
    const at = event.metadata.recordedAt;
    switch (event.type) {
      case 'FundsDeposited':
      case 'PayoutSettled':
        // Idempotent: the entry id is the key, a replayed event changes nothing.
        await tx.run(
          `INSERT INTO recon_ledger_refs (entry_id, kind, reference, currency, amount_minor, recorded_at_ms, position) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (entry_id) DO NOTHING`,
          event.data.entryId,
          event.type === 'FundsDeposited' ? 'deposit' : 'payout',
          event.data.externalReference,
          event.data.currency,
          event.data.amountMinor,
          Date.parse(at),
          event.globalPosition,
        );
        return;
      case 'FriendRequestFeeHeld':
        await tx.run(
          'INSERT INTO recon_holds (hold_id, currency, amount_minor, held_at, resolved_at) VALUES (?, ?, ?, ?, NULL) ON CONFLICT (hold_id) DO NOTHING',
          event.data.holdId,
          event.data.currency,
          event.data.amountMinor,
          at,
        );
        return;
      case 'FriendRequestFeeCaptured':
      case 'FriendRequestFeeReleased':
        await tx.run('UPDATE recon_holds SET resolved_at = ? WHERE hold_id = ? AND resolved_at IS NULL', at, event.data.holdId);
        return;
      case 'EntryReversed':
        await tx.run(
          'INSERT INTO recon_reversals (entry_id, original_entry_id, currency, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT (entry_id) DO NOTHING',
          event.data.entryId,
          event.data.originalEntryId,
          event.data.currency,
          at,
        );
        return;
      default:
        return;
    }
  },
};
