import { RecordedEvent } from '@attest/event-store';
import { Projection, ReadModelQueries } from '@attest/projection-runner';
import { EntryEvent, isEntryEvent } from '@attest/ledger';

/**
 * Daily summary per currency (UTC day of the command's time): what finance reconciles against
 * the processor's settlement file. Counters are exact because the runner commits them with the
 * checkpoint in one transaction (each event counts once); a rebuild recounts from position 0.
 */
export const DAILY_SUMMARY_PROJECTION = 'daily-summary';

export const DAILY_COLUMNS = [
  'deposits_count',
  'deposits_minor',
  'tips_count',
  'tips_minor',
  'friend_request_fees_held_count',
  'friend_request_fees_held_minor',
  'friend_request_fees_captured_count',
  'friend_request_fees_captured_minor',
  'friend_request_fees_released_count',
  'friend_request_fees_released_minor',
  'commission_minor',
  'reversals_count',
  'reversals_minor',
  'payouts_requested_count',
  'payouts_requested_minor',
  'payouts_settled_count',
  'payouts_settled_minor',
  'payouts_failed_count',
  'payouts_failed_minor',
] as const;
export type DailyColumn = (typeof DAILY_COLUMNS)[number];

const contributions = (event: EntryEvent): Partial<Record<DailyColumn, bigint>> => {
  switch (event.type) {
    case 'FundsDeposited':
      return { deposits_count: 1n, deposits_minor: event.data.amountMinor };
    case 'TipSent':
      return { tips_count: 1n, tips_minor: event.data.amountMinor, commission_minor: event.data.feeMinor };
    case 'FriendRequestFeeHeld':
      return { friend_request_fees_held_count: 1n, friend_request_fees_held_minor: event.data.amountMinor };
    case 'FriendRequestFeeCaptured':
      return { friend_request_fees_captured_count: 1n, friend_request_fees_captured_minor: event.data.amountMinor, commission_minor: event.data.feeMinor };
    case 'FriendRequestFeeReleased':
      return { friend_request_fees_released_count: 1n, friend_request_fees_released_minor: event.data.amountMinor };
    case 'EntryReversed':
      // Commission given back on a reversal reduces the day's commission earned.
      return { reversals_count: 1n, reversals_minor: event.data.amountMinor, commission_minor: -event.data.feeMinor };
    case 'PayoutRequested':
      return { payouts_requested_count: 1n, payouts_requested_minor: event.data.amountMinor };
    case 'PayoutSettled':
      return { payouts_settled_count: 1n, payouts_settled_minor: event.data.amountMinor };
    case 'PayoutFailed':
      return { payouts_failed_count: 1n, payouts_failed_minor: event.data.amountMinor };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
};

export const dailySummaryProjection: Projection = {
  name: DAILY_SUMMARY_PROJECTION,
  version: 1,
  handles: ['FundsDeposited', 'TipSent', 'FriendRequestFeeHeld', 'FriendRequestFeeCaptured', 'FriendRequestFeeReleased', 'EntryReversed', 'PayoutRequested', 'PayoutSettled', 'PayoutFailed'],
  schema: [
    `CREATE TABLE IF NOT EXISTS ledger_daily_summary (day TEXT NOT NULL, currency TEXT NOT NULL, ${DAILY_COLUMNS.map((c) => `${c} BIGINT NOT NULL DEFAULT 0`).join(', ')}, PRIMARY KEY (day, currency))`,
  ],
  tables: ['ledger_daily_summary'],
  async apply(raw, tx: ReadModelQueries) {
    const event = raw as RecordedEvent & EntryEvent;
    if (!isEntryEvent(event)) return;
    const day = event.metadata.recordedAt.slice(0, 10);
    const added = Object.entries(contributions(event)) as Array<[DailyColumn, bigint]>;
    if (added.length === 0) return;
    await tx.run(
      `INSERT INTO ledger_daily_summary (day, currency, ${added.map(([c]) => c).join(', ')}) VALUES (?, ?, ${added.map(() => '?').join(', ')})
       ON CONFLICT (day, currency) DO UPDATE SET ${added.map(([c]) => `${c} = ledger_daily_summary.${c} + excluded.${c}`).join(', ')}`,
      day,
      event.data.currency,
      ...added.map(([, v]) => v),
    );
  },
};

export const DAILY_SUMMARY_DAYS_MAX = 366;

export const dailySummary = async (db: ReadModelQueries, currency: string, from: string, to: string) => {
  const rows = await db.all<Record<string, bigint | string>>(
    `SELECT * FROM ledger_daily_summary WHERE currency = ? AND day >= ? AND day <= ? ORDER BY day LIMIT ${DAILY_SUMMARY_DAYS_MAX}`,
    currency,
    from,
    to,
  );
  return rows;
};
