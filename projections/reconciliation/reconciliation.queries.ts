import { Currency, isCurrency, formatAmount, systemAccount } from '@attest/ledger';
import { ReadModelQueries } from '@attest/projection-runner';
import { accountBalance, trialBalanceTotalAt } from '@attest/projections/balances/balances.queries';
import type { InternalCheck, LedgerItem, LedgerKind } from '@attest/reconciliation';

/** Read side for reconciliation: the period's ledger events (paged) and the internal checks. */

export const LEDGER_PAGE_ROWS = 5_000;
/** Offenders named in a check's detail; beyond it they are counted. */
const NAMED_MAX = 10;

/**
 * Ledger events with a processor reference recorded in [startMs, endMs), in pages. Keyset on the
 * row value (time, id): both SQLite and PostgreSQL seek the index to it, where the equivalent
 * `t > ? OR (t = ? AND id > ?)` made SQLite rescan every event of one instant for each page.
 */
export async function* ledgerWindow(db: ReadModelQueries, startMs: number, endMs: number): AsyncGenerator<Omit<LedgerItem, 'inPeriod'>[]> {
  let afterMs = startMs - 1;
  let afterId = '';
  for (;;) {
    const rows = await db.all<{ entry_id: string; kind: string; reference: string; currency: string; amount_minor: bigint; recorded_at_ms: bigint }>(
      `SELECT entry_id, kind, reference, currency, amount_minor, recorded_at_ms FROM recon_ledger_refs
       WHERE recorded_at_ms < ? AND (recorded_at_ms, entry_id) > (?, ?)
       ORDER BY recorded_at_ms, entry_id LIMIT ?`,
      endMs,
      afterMs,
      afterId,
      LEDGER_PAGE_ROWS,
    );
    const page: Omit<LedgerItem, 'inPeriod'>[] = [];
    for (const row of rows) {
      if (!isCurrency(row.currency)) continue;
      page.push({
        kind: row.kind as LedgerKind,
        reference: row.reference,
        entryId: row.entry_id,
        currency: row.currency,
        amountMinor: BigInt(row.amount_minor),
        recordedAtMs: Number(row.recorded_at_ms),
      });
    }
    if (page.length > 0) yield page;
    const last = rows[rows.length - 1];
    if (rows.length < LEDGER_PAGE_ROWS || !last) return;
    afterMs = Number(last.recorded_at_ms);
    afterId = last.entry_id;
  }
}

/**
 * The same window as one SELECT over `<schema>.recon_ledger_refs`, for a reader with the SQLite
 * read-model file open (the reconciliation staging reads it as a subquery): columns kind,
 * reference, entry_id, currency, amount_minor, recorded_at_ms; parameters window start and window
 * end, epoch milliseconds. The time index finds the window.
 */
export const ledgerWindowSql = (schema: string): string =>
  `SELECT kind, reference, entry_id, currency, amount_minor, recorded_at_ms
   FROM ${schema}.recon_ledger_refs WHERE recorded_at_ms >= ? AND recorded_at_ms < ?`;

/** Currencies the ledger has accounts in (a handful). */
export const ledgerCurrencies = async (db: ReadModelQueries): Promise<Currency[]> => {
  const rows = await db.all<{ currency: string }>('SELECT DISTINCT currency FROM ledger_accounts ORDER BY currency');
  return rows.map((row) => row.currency).filter(isCurrency);
};

/**
 * The four internal checks of a period, per currency: the books balance at its end; every tip's
 * amount went to the payee and the commission account (from the postings, not the tip's own
 * fields); escrow holds exactly the fees of friend requests still open at its end; every
 * reversal in it names an existing reversible entry.
 */
export const internalChecks = async (db: ReadModelQueries, startIso: string, endIso: string): Promise<InternalCheck[]> => {
  const checks: InternalCheck[] = [];
  const untilEnd = { instant: endIso };
  for (const currency of await ledgerCurrencies(db)) {
    const trialTotal = await trialBalanceTotalAt(db, currency, endIso);
    checks.push({
      name: 'trial_balance_zero',
      currency,
      ok: trialTotal === 0n,
      detail: `sum of all ${currency} balances at ${endIso}: ${formatAmount(trialTotal, currency)}`,
    });

    const tips = await db.get<{ volume: bigint | null; count: bigint | null }>(
      `SELECT sum(amount_minor) AS volume, count(*) AS count FROM ledger_entries WHERE entry_type = 'TipSent' AND currency = ? AND recorded_at >= ? AND recorded_at <= ?`,
      currency,
      startIso,
      endIso,
    );
    const credits = await db.get<{ payees: bigint | null; commission: bigint | null }>(
      `SELECT sum(CASE WHEN account_kind = 'user:wallet' AND delta > 0 THEN delta ELSE 0 END) AS payees,
              sum(CASE WHEN account_kind = 'platform:commission' THEN delta ELSE 0 END) AS commission
       FROM ledger_postings WHERE entry_type = 'TipSent' AND currency = ? AND recorded_at >= ? AND recorded_at <= ?`,
      currency,
      startIso,
      endIso,
    );
    const volume = BigInt(tips?.volume ?? 0n);
    const payees = BigInt(credits?.payees ?? 0n);
    const commission = BigInt(credits?.commission ?? 0n);
    checks.push({
      name: 'tips_volume_equals_payee_credits_plus_commission',
      currency,
      ok: volume === payees + commission,
      detail: `${Number(tips?.count ?? 0n)} tips, volume ${formatAmount(volume, currency)} = payees ${formatAmount(payees, currency)} + commission ${formatAmount(commission, currency)}`,
    });

    const escrow = await accountBalance(db, systemAccount('holds:escrow', currency), untilEnd);
    const open = await db.get<{ amount: bigint | null; count: bigint | null }>(
      `SELECT sum(amount_minor) AS amount, count(*) AS count FROM recon_holds
       WHERE currency = ? AND held_at <= ? AND (CAST(resolved_at AS TEXT) IS NULL OR resolved_at > ?)`,
      currency,
      endIso,
      endIso,
    );
    const openMinor = BigInt(open?.amount ?? 0n);
    checks.push({
      name: 'held_fees_equal_open_friend_requests',
      currency,
      ok: escrow.postedMinor === openMinor,
      detail: `escrow ${formatAmount(escrow.postedMinor, currency)}, ${Number(open?.count ?? 0n)} open friend requests ${formatAmount(openMinor, currency)}`,
    });
  }

  const orphans = await db.all<{ entry_id: string; original_entry_id: string }>(
    `SELECT r.entry_id, r.original_entry_id FROM recon_reversals r LEFT JOIN ledger_entries o ON o.entry_id = r.original_entry_id
     WHERE r.recorded_at >= ? AND r.recorded_at <= ? AND (o.entry_id IS NULL OR o.reversible_kind IS NULL) ORDER BY r.entry_id LIMIT ?`,
    startIso,
    endIso,
    NAMED_MAX + 1,
  );
  const reversals = await db.get<{ count: bigint }>('SELECT count(*) AS count FROM recon_reversals WHERE recorded_at >= ? AND recorded_at <= ?', startIso, endIso);
  const named = orphans.slice(0, NAMED_MAX).map((row) => `${row.entry_id} → ${row.original_entry_id}`);
  checks.push({
    name: 'reversals_reference_originals',
    currency: null,
    ok: orphans.length === 0,
    detail:
      orphans.length === 0
        ? `${Number(reversals?.count ?? 0n)} reversals, each names an existing tip or accepted friend-request fee`
        : `reversals naming no reversible entry: ${named.join(', ')}${orphans.length > NAMED_MAX ? ', …' : ''}`,
  });
  return checks;
};
