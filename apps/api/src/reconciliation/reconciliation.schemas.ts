import { z } from 'zod';

/** Request and response shapes of reconciliation (one zod schema each; contracts come from these). */
const day = z.iso.date({ error: 'must be a day YYYY-MM-DD' });

export const uploadQuery = z
  .strictObject({
    from: day,
    to: day,
    /** Largest distance between a row's settled time and its ledger event's time; absent: the reference alone decides. */
    toleranceSeconds: z.coerce.number().int().min(0).max(31 * 24 * 3600).optional(),
  })
  .refine((query) => query.from <= query.to, { message: 'from must not be after to', path: ['to'] })
  .refine((query) => Date.parse(query.to) - Date.parse(query.from) <= 366 * 24 * 3600 * 1000, { message: 'a period is at most 366 days', path: ['to'] });

export const runParams = z.strictObject({ runId: z.uuid({ error: 'must be a run id returned by the API (a UUID)' }) });
export const reportQuery = z.strictObject({ format: z.enum(['json', 'csv', 'ndjson']).default('json') });
export const dayParams = z.strictObject({ day });

const totalsLine = z.object({
  class: z.string(),
  currency: z.string(),
  items: z.number(),
  rows: z.number(),
  ledgerEvents: z.number(),
  settlement: z.string(),
  ledger: z.string(),
});
const check = z.object({ name: z.string(), currency: z.string().nullable(), ok: z.boolean(), detail: z.string() });

export const runOutput = z.object({
  runId: z.string(),
  status: z.enum(['started', 'completed']),
  replayed: z.boolean(),
  message: z.string(),
  fileSha256: z.string(),
  period: z.object({ from: z.string(), to: z.string() }),
  rows: z.object({ total: z.number(), valid: z.number(), invalid: z.number() }).nullable(),
  unmatched: z.number().nullable(),
  totals: z.array(totalsLine),
  processorFees: z.array(z.object({ currency: z.string(), value: z.string() })),
  checks: z.array(check),
  reportSha256: z.string().nullable(),
  reportLines: z.number().nullable(),
  requestedBy: z.string(),
  exceptionsPreview: z.array(z.unknown()),
});

export const dayClosedOutput = z.object({
  day: z.string(),
  closedBy: z.string(),
  closedAt: z.string(),
  asOfPosition: z.string(),
  currencies: z.array(
    z.object({
      currency: z.string(),
      trialBalance: z.array(z.object({ accountKind: z.string(), balance: z.string(), accounts: z.number() })),
      trialBalanceTotal: z.string(),
      summary: z.record(z.string(), z.string()),
    }),
  ),
});
