import { ReadModelQueries } from '@attest/projection-runner';

/** Read side of the balances projection. All money is bigint minor units; callers format it. */

export type AsOf = { position: bigint } | { instant: string } | null;

export interface AccountBalance {
  account: string;
  postedMinor: bigint;
  heldMinor: bigint;
  /** Position of the last change included (0 when the account has none). */
  lastPosition: bigint;
}

export const accountBalance = async (db: ReadModelQueries, account: string, asOf: AsOf): Promise<AccountBalance> => {
  if (asOf === null) {
    const row = await db.get<{ posted: bigint; held: bigint; last_position: bigint }>('SELECT posted, held, last_position FROM ledger_accounts WHERE account = ?', account);
    return { account, postedMinor: row?.posted ?? 0n, heldMinor: row?.held ?? 0n, lastPosition: row?.last_position ?? 0n };
  }
  if ('position' in asOf) {
    const row = await db.get<{ balance_after: bigint; held_after: bigint; position: bigint }>(
      'SELECT balance_after, held_after, position FROM ledger_postings WHERE account = ? AND position <= ? ORDER BY position DESC, seq DESC LIMIT 1',
      account,
      asOf.position,
    );
    return { account, postedMinor: row?.balance_after ?? 0n, heldMinor: row?.held_after ?? 0n, lastPosition: row?.position ?? 0n };
  }
  // By time: the sum of every change recorded at or before the instant (commands stamp their own
  // time, so positions and times may interleave by a few milliseconds; the sum is exact for "time").
  const row = await db.get<{ posted: bigint | null; held: bigint | null; position: bigint | null }>(
    'SELECT sum(delta) AS posted, sum(held_delta) AS held, max(position) AS position FROM ledger_postings WHERE account = ? AND recorded_at <= ?',
    account,
    asOf.instant,
  );
  return { account, postedMinor: row?.posted ?? 0n, heldMinor: row?.held ?? 0n, lastPosition: row?.position ?? 0n };
};

export interface TrialBalanceLine {
  accountKind: string;
  balanceMinor: bigint;
  accounts: number;
}

/** Balances by kind of account in one currency; their sum is zero when the books balance. */
export const trialBalance = async (db: ReadModelQueries, currency: string, asOf: AsOf): Promise<{ lines: TrialBalanceLine[]; totalMinor: bigint }> => {
  const filter = asOf === null ? '' : 'position' in asOf ? 'AND position <= ?' : 'AND recorded_at <= ?';
  const params = asOf === null ? [] : 'position' in asOf ? [asOf.position] : [asOf.instant];
  const rows = await db.all<{ account_kind: string; balance: bigint; accounts: bigint }>(
    `SELECT account_kind, sum(delta) AS balance, count(DISTINCT account) AS accounts FROM ledger_postings
     WHERE currency = ? ${filter} GROUP BY account_kind ORDER BY account_kind`,
    currency,
    ...params,
  );
  const lines = rows.map((row) => ({ accountKind: row.account_kind, balanceMinor: BigInt(row.balance), accounts: Number(row.accounts) }));
  return { lines, totalMinor: lines.reduce((sum, line) => sum + line.balanceMinor, 0n) };
};

/**
 * The sum of every balance in one currency at an instant — the trial balance's total — without
 * reading the history: the accounts' current balances minus what was posted after the instant.
 * Exactly `trialBalance(…, { instant }).totalMinor` (each account's balance is the sum of its
 * postings), at the cost of the accounts and the postings after the instant, where the sum of
 * every posting up to it costs the whole history. Both sums in one statement: one snapshot.
 */
export const trialBalanceTotalAt = async (db: ReadModelQueries, currency: string, instant: string): Promise<bigint> => {
  const row = await db.get<{ total: bigint | number | string | null }>(
    `SELECT (SELECT coalesce(sum(posted), 0) FROM ledger_accounts WHERE currency = ?)
          - (SELECT coalesce(sum(delta), 0) FROM ledger_postings WHERE currency = ? AND recorded_at > ?) AS total`,
    currency,
    currency,
    instant,
  );
  return BigInt(row?.total ?? 0);
};

export interface StatementLine {
  position: bigint;
  seq: number;
  recordedAt: string;
  entryId: string;
  entryType: string;
  deltaMinor: bigint;
  heldDeltaMinor: bigint;
  balanceAfterMinor: bigint;
}

export const STATEMENT_PAGE_MAX = 200;

/** One page of an account's statement, oldest first, strictly after the cursor. */
export const statement = async (
  db: ReadModelQueries,
  account: string,
  after: { position: bigint; seq: number } | null,
  limit: number,
): Promise<{ lines: StatementLine[]; next: { position: bigint; seq: number } | null }> => {
  const size = Math.max(1, Math.min(limit, STATEMENT_PAGE_MAX));
  const rows = await db.all<{ position: bigint; seq: bigint; recorded_at: string; entry_id: string; entry_type: string; delta: bigint; held_delta: bigint; balance_after: bigint }>(
    `SELECT position, seq, recorded_at, entry_id, entry_type, delta, held_delta, balance_after FROM ledger_postings
     WHERE account = ? AND (position > ? OR (position = ? AND seq > ?)) ORDER BY position, seq LIMIT ?`,
    account,
    after?.position ?? -1n,
    after?.position ?? -1n,
    after?.seq ?? -1,
    size + 1,
  );
  const lines = rows.slice(0, size).map((row) => ({
    position: row.position,
    seq: Number(row.seq),
    recordedAt: row.recorded_at,
    entryId: row.entry_id,
    entryType: row.entry_type,
    deltaMinor: row.delta,
    heldDeltaMinor: row.held_delta,
    balanceAfterMinor: row.balance_after,
  }));
  const last = lines[lines.length - 1];
  return { lines, next: rows.length > size && last ? { position: last.position, seq: last.seq } : null };
};

export interface EntryRow {
  entryId: string;
  entryType: string;
  streamId: string;
  walletUserId: string;
  currency: string;
  position: bigint;
  reversibleKind: 'tip' | 'friend-request-fee' | null;
  payerId: string | null;
  payeeId: string | null;
  amountMinor: bigint | null;
  feeMinor: bigint | null;
  netMinor: bigint | null;
  reversedBy: string | null;
}

export const findEntry = async (db: ReadModelQueries, entryId: string): Promise<EntryRow | undefined> => {
  const row = await db.get<{
    entry_id: string;
    entry_type: string;
    stream_id: string;
    wallet_user_id: string;
    currency: string;
    position: bigint;
    reversible_kind: string | null;
    payer_id: string | null;
    payee_id: string | null;
    amount_minor: bigint | null;
    fee_minor: bigint | null;
    net_minor: bigint | null;
    reversed_by: string | null;
  }>('SELECT * FROM ledger_entries WHERE entry_id = ?', entryId);
  if (!row) return undefined;
  return {
    entryId: row.entry_id,
    entryType: row.entry_type,
    streamId: row.stream_id,
    walletUserId: row.wallet_user_id,
    currency: row.currency,
    position: row.position,
    reversibleKind: row.reversible_kind === 'tip' || row.reversible_kind === 'friend-request-fee' ? row.reversible_kind : null,
    payerId: row.payer_id,
    payeeId: row.payee_id,
    amountMinor: row.amount_minor,
    feeMinor: row.fee_minor,
    netMinor: row.net_minor,
    reversedBy: row.reversed_by,
  };
};

export const anomalies = (db: ReadModelQueries) => db.all<{ event_id: string; position: bigint; problem: string }>('SELECT * FROM ledger_anomalies ORDER BY position LIMIT 100');

/** Every account's current balance (tests and rebuild checks; bounded by the caller's data set). */
export const allAccounts = (db: ReadModelQueries) =>
  db.all<{ account: string; posted: bigint; held: bigint }>('SELECT account, posted, held FROM ledger_accounts ORDER BY account');
