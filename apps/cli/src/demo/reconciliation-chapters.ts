import { DemoChapter } from './demo-context';
import { pick } from './demo-http';
import { StepRecorder } from './demo-step';

interface TotalsLine {
  class: string;
  currency: string;
  items: number;
  settlement: string;
  ledger: string;
}

/**
 * Finance reconciles the processor's settlement file against the ledger. The file carries the
 * three deposits of the first chapter, but the processor settled Lan's one fen short: exactly
 * one amount mismatch, found in minor units (never a float, never silently zero).
 */
const settlementReconciled: DemoChapter = {
  id: 'settlement-reconciled',
  title: 'Finance reconciles the settlement file (one discrepancy injected)',
  run: async (context) => {
    const step = new StepRecorder('settlement-reconciled', 'Finance reconciles the settlement file (one discrepancy injected)');
    const day = new Date().toISOString().slice(0, 10);
    const at = `${day}T00:00:01Z`;
    const csv = [
      'external_id,type,amount,currency,settled_at,processor_fee,reference',
      `psp-dep-jun,deposit,500.00,CNY,${at},,`,
      `psp-dep-mei,deposit,100.00,CNY,${at},,`,
      `psp-dep-lan,deposit,99.99,CNY,${at},,`,
    ].join('\n');
    step.say("The processor's file lists the three deposits; Lan's is settled at 99.99 where the ledger holds 100.00.");
    const finance = await context.token('finance', 'fin-1');
    const { status, body } = await context.http.send(`/v1/reconciliation/runs?from=${day}&to=${day}`, finance, 'text/csv', csv);
    step.expect('status', status, 201);
    const totals = (pick(body, 'totals') ?? []) as TotalsLine[];
    step.table(
      ['class', 'currency', 'items', 'settlement', 'ledger'],
      totals.map((line) => [line.class, line.currency, String(line.items), line.settlement, line.ledger]),
    );
    const items = (name: string) => totals.filter((line) => line.class === name).reduce((sum, line) => sum + line.items, 0);
    step.expect('matched', items('matched'), 2);
    step.expect('amountMismatch', items('amount_mismatch'), 1);
    step.expect('unmatched', pick(body, 'unmatched') as number | null, 1);
    step.fact('reportSha256', pick(body, 'reportSha256') as string | null);
    step.say('The run is recorded as events with the file\'s SHA-256 and the report\'s hash; re-sending the same file is a no-op that says so.');
    return step.outcome();
  },
};

export const RECONCILIATION_CHAPTERS: readonly DemoChapter[] = [settlementReconciled];
