/** The readable summary of a run for the terminal: totals per class and currency, checks, first exceptions. */
export interface RunAnswer {
  runId: string;
  replayed: boolean;
  message: string;
  fileSha256: string;
  period: { from: string; to: string };
  rows: { total: number; valid: number; invalid: number } | null;
  unmatched: number | null;
  totals: Array<{ class: string; currency: string; items: number; rows: number; ledgerEvents: number; settlement: string; ledger: string }>;
  processorFees: Array<{ currency: string; value: string }>;
  checks: Array<{ name: string; currency: string | null; ok: boolean; detail: string }>;
  reportSha256: string | null;
  exceptionsPreview: Array<Record<string, unknown>>;
}

const table = (header: string[], rows: string[][]): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column >= 3 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
};

export const formatRun = (run: RunAnswer): string => {
  const out: string[] = [];
  out.push(`${run.replayed ? 'ALREADY RECONCILED' : (run.unmatched ?? 0) === 0 ? 'RECONCILED, ALL MATCHED' : 'RECONCILED WITH EXCEPTIONS'} — run ${run.runId}`);
  out.push(run.message);
  out.push(`period ${run.period.from}..${run.period.to}; file sha256 ${run.fileSha256}`);
  if (run.rows) out.push(`rows: ${run.rows.total} read, ${run.rows.valid} valid, ${run.rows.invalid} invalid`);
  out.push('');
  out.push(
    table(
      ['class', 'currency', 'items', 'rows', 'ledger events', 'settlement', 'ledger'],
      run.totals.map((line) => [line.class, line.currency, String(line.items), String(line.rows), String(line.ledgerEvents), line.settlement, line.ledger]),
    ),
  );
  if (run.processorFees.length > 0) out.push(`\nprocessor fees: ${run.processorFees.map((fee) => `${fee.value} ${fee.currency}`).join(', ')}`);
  out.push('\nchecks:');
  for (const check of run.checks) out.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.currency ? ` (${check.currency})` : ''}: ${check.detail}`);
  if (run.exceptionsPreview.length > 0) {
    out.push('\nfirst exceptions:');
    for (const item of run.exceptionsPreview) {
      const lines = Array.isArray(item['lines']) ? (item['lines'] as unknown[]).join(',') : item['line'] === undefined ? '' : String(item['line']);
      out.push(`  ${String(item['class'])}${lines ? ` line ${lines}` : ''}${item['reference'] ? ` ${String(item['reference'])}` : ''}${item['reason'] ? `: ${String(item['reason'])}` : ''}`);
    }
  }
  out.push(`\nunmatched items: ${run.unmatched ?? 0}; report sha256 ${run.reportSha256 ?? '-'}`);
  return out.join('\n') + '\n';
};
