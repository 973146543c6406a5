import { z } from 'zod';
import { bigintString, defineEvent, EventOf, isoInstant } from '@attest/event-store';
import { CURRENCY_CODES } from '@attest/ledger';
import { MATCH_CLASSES } from './matcher';

/**
 * Events of reconciliation: each run (`reconciliation-run-<runId>`) and each closed day
 * (`day-close-<YYYY-MM-DD>`). They say what was reconciled, against which file (its SHA-256),
 * for which period, with what outcome (totals per class and currency, the report's hash), when
 * and by whom, so an auditor can check a run without trusting the service that made it.
 * No personal data: the report lists entry ids and processor ids, never user ids.
 */
const currency = z.enum(CURRENCY_CODES);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day YYYY-MM-DD');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256');
const runId = z.uuid();
const actorLabel = z.string().min(1).max(200);
const count = z.number().int().min(0);

export const ReconciliationRunStarted = defineEvent({
  type: 'ReconciliationRunStarted',
  schemaVersion: 1,
  description: 'Finance started reconciling a settlement file against the ledger for a period.',
  data: z.strictObject({
    runId,
    fileSha256: sha256,
    fileBytes: count,
    format: z.enum(['csv', 'jsonl']),
    periodFrom: day,
    periodTo: day,
    toleranceSeconds: z.number().int().min(0).max(31 * 24 * 3600).nullable(),
    requestedBy: actorLabel,
    startedAt: isoInstant,
  }),
});

export const classTotalsSchema = z.strictObject({
  class: z.enum(MATCH_CLASSES),
  currency,
  items: count,
  rows: count,
  ledgerEvents: count,
  settlementMinor: bigintString,
  ledgerMinor: bigintString,
});

export const internalCheckSchema = z.strictObject({
  name: z.enum(['trial_balance_zero', 'tips_volume_equals_payee_credits_plus_commission', 'held_fees_equal_open_friend_requests', 'reversals_reference_originals']),
  currency: currency.nullable(),
  ok: z.boolean(),
  detail: z.string().max(2000),
});
export type InternalCheck = z.output<typeof internalCheckSchema>;

export const ReconciliationRunCompleted = defineEvent({
  type: 'ReconciliationRunCompleted',
  schemaVersion: 1,
  description: 'A reconciliation run finished: counts and totals per class and currency, internal checks, and the hash of its report.',
  data: z.strictObject({
    runId,
    fileSha256: sha256,
    periodFrom: day,
    periodTo: day,
    rowsTotal: count,
    rowsValid: count,
    rowsInvalid: count,
    unmatched: count,
    totals: z.array(classTotalsSchema).max(MATCH_CLASSES.length * CURRENCY_CODES.length),
    processorFees: z.array(z.strictObject({ currency, amountMinor: bigintString })).max(CURRENCY_CODES.length),
    checks: z.array(internalCheckSchema).max(64),
    reportSha256: sha256,
    reportLines: count,
    requestedBy: actorLabel,
    completedAt: isoInstant,
  }),
});

export const trialBalanceLineSchema = z.strictObject({ accountKind: z.string().min(1).max(64), balanceMinor: bigintString, accounts: count });

export const DayClosed = defineEvent({
  type: 'DayClosed',
  schemaVersion: 1,
  description: "Finance closed a day: its trial balance and summary per currency, as the read models showed them at closing time.",
  data: z.strictObject({
    day,
    closedBy: actorLabel,
    closedAt: isoInstant,
    /** Global position the read models had reached: the figures are exactly those of the log up to it. */
    asOfPosition: bigintString,
    currencies: z
      .array(
        z.strictObject({
          currency,
          trialBalance: z.array(trialBalanceLineSchema).max(16),
          trialBalanceTotalMinor: bigintString,
          summary: z.record(z.string().regex(/^[a-z_]{1,64}$/), bigintString),
        }),
      )
      .max(CURRENCY_CODES.length),
  }),
});

export const RECONCILIATION_EVENTS = [ReconciliationRunStarted, ReconciliationRunCompleted, DayClosed] as const;

export type ReconciliationRunStarted = EventOf<typeof ReconciliationRunStarted>;
export type ReconciliationRunCompleted = EventOf<typeof ReconciliationRunCompleted>;
export type DayClosed = EventOf<typeof DayClosed>;
export type RunEvent = ReconciliationRunStarted | ReconciliationRunCompleted;

export const runStreamId = (id: string): string => `reconciliation-run-${id}`;
export const dayCloseStreamId = (closedDay: string): string => `day-close-${closedDay}`;
