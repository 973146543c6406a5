import { Inject, Injectable } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { Actor, actorLabel } from '@attest/auth';
import { AttestConfig } from '@attest/config';
import { StreamCommandExecutor } from '@attest/decider';
import { EventStore, RecordedEvent, WrongExpectedRevision } from '@attest/event-store';
import { ProblemException, problemFromFailure } from '@attest/http';
import { deterministicId } from '@attest/idempotency';
import { Currency, formatAmount } from '@attest/ledger';
import { ProjectionRunner, ReadModelStore } from '@attest/projection-runner';
import { BALANCES_PROJECTION } from '@attest/projections/balances/balances.projection';
import { trialBalance } from '@attest/projections/balances/balances.queries';
import { DAILY_COLUMNS, DAILY_SUMMARY_PROJECTION, dailySummary } from '@attest/projections/daily-summary/daily-summary.projection';
import { RECONCILIATION_LEDGER_PROJECTION } from '@attest/projections/reconciliation/reconciliation-ledger.projection';
import { internalChecks, ledgerCurrencies, ledgerWindow, ledgerWindowSql } from '@attest/projections/reconciliation/reconciliation.queries';
import {
  DAY_CLOSE_DECIDER_NAME,
  DayClosed,
  dayCloseDecider,
  dayCloseStreamId,
  Period,
  Reconciliation,
  ReconciliationRunCompleted,
  ReportHasher,
  ReconciliationRunStarted,
  RUN_DECIDER_NAME,
  runDecider,
  RunEvent,
  runStreamId,
  SettlementFileInvalid,
  SettlementFormat,
  SettlementStaging,
  totalsToWire,
} from '@attest/reconciliation';
import { ATTEST_CONFIG, READ_MODEL_STORE } from '../infrastructure/infrastructure.module';

/** Report lines written per transaction (bounded), and read per page when served. */
export const REPORT_BATCH_LINES = 1_000;
/** Exceptions returned inline with a run (the full list is in the report). */
export const EXCEPTIONS_PREVIEW_MAX = 20;
/** How long a run waits for the ledger read models to include everything acknowledged. */
const CATCH_UP_TIMEOUT_MS = 30_000;

export const REPORT_TABLE_DDL = `CREATE TABLE IF NOT EXISTS reconciliation_report_lines (
  run_id TEXT NOT NULL, seq BIGINT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (run_id, seq))`;

export interface RunInput {
  source: AsyncIterable<Buffer | string>;
  format: SettlementFormat;
  period: Period;
  toleranceSeconds: number | null;
  actor: Actor;
  requestId: string;
}

export interface RunOutcome {
  /** True when this file was already reconciled for this period: nothing was recorded again. */
  replayed: boolean;
  completed: ReconciliationRunCompleted['data'];
  exceptionsPreview: unknown[];
}

const endOfDay = (day: string) => `${day}T23:59:59.999Z`;

/**
 * Reconciliation runs and daily closes. A run reads the upload once (streamed into a scratch
 * file, never whole into memory), derives its id from the file's hash, the period and the
 * tolerance, and records `ReconciliationRunStarted` / `Completed` on its own stream; the same
 * file for the same period finds its run completed and answers with it. Runs are serialised
 * in this process: each uses a core and a scratch file, and finance runs them a few times a day.
 */
@Injectable()
export class ReconciliationService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
  ) {}

  reconcile(input: RunInput): Promise<RunOutcome> {
    const run = this.queue.then(
      () => this.reconcileNow(input),
      () => this.reconcileNow(input),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits until the ledger read models include everything acknowledged so far (bounded). */
  private async caughtUp(): Promise<bigint> {
    const head = await this.store.headPosition();
    const timeout = Math.max(this.config.readYourWritesTimeoutMs, CATCH_UP_TIMEOUT_MS);
    for (const name of [BALANCES_PROJECTION, DAILY_SUMMARY_PROJECTION, RECONCILIATION_LEDGER_PROJECTION]) await this.runner.waitFor(name, head, timeout);
    return head;
  }

  private async reconcileNow(input: RunInput): Promise<RunOutcome> {
    const staging = new SettlementStaging(tmpdir());
    try {
      const work = new Reconciliation(staging, { format: input.format, period: input.period, toleranceSeconds: input.toleranceSeconds });
      const file = await work.stage(input.source).catch((error: unknown) => {
        if (error instanceof SettlementFileInvalid)
          throw new ProblemException('SETTLEMENT_FILE_INVALID', error.message, {
            errors: [{ path: error.line === null ? 'body' : `body.line.${error.line}`, code: 'SETTLEMENT_FILE_INVALID', message: error.reason }],
          });
        throw error;
      });
      const runId = deterministicId('reconciliation.run', `${file.sha256}|${input.period.from}|${input.period.to}|${input.toleranceSeconds ?? 'none'}`);
      const streamId = runStreamId(runId);
      const context = { actor: actorLabel(input.actor), correlationId: input.requestId };
      const previous = await this.executor.load(RUN_DECIDER_NAME, runDecider, streamId);
      if (previous.state.completed) return this.replay(previous.state.completed);

      const started: ReconciliationRunStarted['data'] = {
        runId,
        fileSha256: file.sha256,
        fileBytes: file.bytes,
        format: input.format,
        periodFrom: input.period.from,
        periodTo: input.period.to,
        toleranceSeconds: input.toleranceSeconds,
        requestedBy: context.actor,
        startedAt: new Date().toISOString(),
      };
      const start = await this.executeRun(streamId, { type: 'StartRun', started }, context);
      if (start) return this.replay(start);
      await this.caughtUp();
      const window = work.ledgerWindow;
      // Embedded read models: one SELECT on the read-model file, streamed into the staging. Otherwise: pages.
      if (this.readModels.dialect === 'sqlite' && this.config.readModels === 'sqlite') work.copyLedgerFromSqlite(this.config.sqlite.readModelsPath, ledgerWindowSql);
      else for await (const page of ledgerWindow(this.readModels.query, window.startMs, window.endMs)) for (const item of page) work.addLedger(item);
      work.match();
      const checks = await internalChecks(this.readModels.query, `${input.period.from}T00:00:00.000Z`, endOfDay(input.period.to));
      const totals = work.totals.list();
      const summary = {
        kind: 'summary',
        runId,
        fileSha256: file.sha256,
        format: input.format,
        period: input.period,
        toleranceSeconds: input.toleranceSeconds,
        rows: { total: work.rowsTotal, valid: work.totals.validRows, invalid: work.totals.invalidRows },
        unmatched: work.totals.unmatched(),
        totals: totalsToWire(totals),
        processorFees: work.totals.processorFees().map((fee) => ({ currency: fee.currency, value: formatAmount(fee.amountMinor, fee.currency) })),
        checks,
      };
      const { sha256: reportSha256, lines: reportLines } = await this.storeReport(runId, work.reportLines(summary));
      const completed: ReconciliationRunCompleted['data'] = {
        runId,
        fileSha256: file.sha256,
        periodFrom: input.period.from,
        periodTo: input.period.to,
        rowsTotal: work.rowsTotal,
        rowsValid: work.totals.validRows,
        rowsInvalid: work.totals.invalidRows,
        unmatched: work.totals.unmatched(),
        totals: totals.map((line) => ({ ...line })),
        processorFees: work.totals.processorFees(),
        checks,
        reportSha256,
        reportLines,
        requestedBy: context.actor,
        completedAt: new Date().toISOString(),
      };
      const done = await this.executeRun(streamId, { type: 'CompleteRun', completed }, context);
      if (done) return this.replay(done);
      return { replayed: false, completed, exceptionsPreview: await this.preview(runId) };
    } finally {
      staging.dispose();
    }
  }

  /** Appends a run event; returns the recorded completion when the run turned out to be completed already. */
  private async executeRun(
    streamId: string,
    command: Parameters<typeof runDecider.decide>[0],
    context: { actor: string; correlationId: string },
  ): Promise<ReconciliationRunCompleted['data'] | null> {
    const result = await this.executor.execute({ decider: runDecider, deciderName: RUN_DECIDER_NAME, streamId, command, context });
    if (result.decision.kind === 'accepted') return null;
    if (result.state.completed) return result.state.completed;
    throw problemFromFailure(result.decision.failure);
  }

  private async replay(completed: ReconciliationRunCompleted['data']): Promise<RunOutcome> {
    return { replayed: true, completed, exceptionsPreview: await this.preview(completed.runId) };
  }

  /**
   * Writes the report in bounded transactions and hashes it on the way. A previous attempt of the
   * same run (a crash before completion) may have left lines: they are replaced.
   */
  private async storeReport(runId: string, lines: Iterable<string>): Promise<{ sha256: string; lines: number }> {
    const hasher = new ReportHasher();
    await this.readModels.transaction((tx) => tx.run('DELETE FROM reconciliation_report_lines WHERE run_id = ?', runId));
    let seq = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const first = seq - batch.length;
      const values = batch;
      batch = [];
      await this.readModels.transaction((tx) =>
        tx.run(
          `INSERT INTO reconciliation_report_lines (run_id, seq, line) VALUES ${values.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (run_id, seq) DO NOTHING`,
          ...values.flatMap((line, i) => [runId, BigInt(first + i), line]),
        ),
      );
    };
    for (const line of lines) {
      hasher.add(line);
      batch.push(line);
      seq += 1;
      if (batch.length >= REPORT_BATCH_LINES) await flush();
    }
    await flush();
    return { sha256: hasher.hex(), lines: seq };
  }

  private async preview(runId: string): Promise<unknown[]> {
    const rows = await this.readModels.query.all<{ line: string }>(
      'SELECT line FROM reconciliation_report_lines WHERE run_id = ? AND seq > 0 ORDER BY seq LIMIT ?',
      runId,
      EXCEPTIONS_PREVIEW_MAX,
    );
    return rows.map((row) => JSON.parse(row.line) as unknown);
  }

  /** The run's events (at most a few: starts and one completion). */
  async run(runId: string): Promise<{ started: ReconciliationRunStarted['data'] | null; completed: ReconciliationRunCompleted['data'] | null; attempts: number }> {
    let started: ReconciliationRunStarted['data'] | null = null;
    let completed: ReconciliationRunCompleted['data'] | null = null;
    let attempts = 0;
    for await (const event of this.store.readStream<RecordedEvent>(runStreamId(runId), { limit: 100 })) {
      const run = event as unknown as RunEvent;
      if (run.type === 'ReconciliationRunStarted') {
        attempts += 1;
        started ??= run.data;
      }
      if (run.type === 'ReconciliationRunCompleted') completed = run.data;
    }
    return { started, completed, attempts };
  }

  /** The stored report lines of a run, in pages (bounded memory however long the report). */
  async *reportLines(runId: string): AsyncGenerator<string> {
    let after = -1n;
    for (;;) {
      const rows = await this.readModels.query.all<{ seq: bigint; line: string }>(
        'SELECT seq, line FROM reconciliation_report_lines WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        runId,
        after,
        REPORT_BATCH_LINES,
      );
      for (const row of rows) {
        after = BigInt(row.seq);
        yield row.line;
      }
      if (rows.length < REPORT_BATCH_LINES) return;
    }
  }

  /** Closes a day: its trial balance and summary per currency, recorded once (DAY_ALREADY_CLOSED after). */
  async closeDay(day: string, actor: Actor, requestId: string): Promise<DayClosed['data']> {
    const now = new Date();
    if (endOfDay(day) >= now.toISOString())
      throw new ProblemException('VALIDATION_FAILED', `${day} has not ended yet (UTC)`, {
        errors: [{ path: 'params.day', code: 'DAY_NOT_ENDED', message: 'only a past day can be closed' }],
      });
    const streamId = dayCloseStreamId(day);
    const existing = await this.executor.load(DAY_CLOSE_DECIDER_NAME, dayCloseDecider, streamId);
    // Refused before the figures are computed; the decider says it again on append (a concurrent close).
    if (existing.state.closed) {
      const early = dayCloseDecider.decide({ type: 'CloseDay', closed: existing.state.closed }, existing.state);
      if (early.kind === 'rejected') throw problemFromFailure(early.failure);
    }
    const asOfPosition = await this.caughtUp();
    const currencies: DayClosed['data']['currencies'] = [];
    for (const currency of await ledgerCurrencies(this.readModels.query)) currencies.push(await this.dayFigures(currency, day));
    const closed: DayClosed['data'] = { day, closedBy: actorLabel(actor), closedAt: now.toISOString(), asOfPosition, currencies };
    try {
      const result = await this.executor.execute({
        decider: dayCloseDecider,
        deciderName: DAY_CLOSE_DECIDER_NAME,
        streamId,
        command: { type: 'CloseDay', closed },
        context: { actor: actorLabel(actor), correlationId: requestId },
      });
      if (result.decision.kind === 'rejected') throw problemFromFailure(result.decision.failure);
    } catch (error) {
      if (error instanceof WrongExpectedRevision) throw new ProblemException('DAY_ALREADY_CLOSED', `${day} was closed concurrently`);
      throw error;
    }
    return closed;
  }

  private async dayFigures(currency: Currency, day: string): Promise<DayClosed['data']['currencies'][number]> {
    const trial = await trialBalance(this.readModels.query, currency, { instant: endOfDay(day) });
    const [row] = await dailySummary(this.readModels.query, currency, day, day);
    const summary: Record<string, bigint> = {};
    for (const column of DAILY_COLUMNS) summary[column] = BigInt(row?.[column] ?? 0n);
    return {
      currency,
      trialBalance: trial.lines.map((line) => ({ accountKind: line.accountKind, balanceMinor: line.balanceMinor, accounts: line.accounts })),
      trialBalanceTotalMinor: trial.totalMinor,
      summary,
    };
  }
}

/** Money of the events on the wire (ADR 0007): decimal strings. */
export const completedToWire = (completed: ReconciliationRunCompleted['data']) => ({
  runId: completed.runId,
  fileSha256: completed.fileSha256,
  period: { from: completed.periodFrom, to: completed.periodTo },
  rows: { total: completed.rowsTotal, valid: completed.rowsValid, invalid: completed.rowsInvalid },
  unmatched: completed.unmatched,
  totals: totalsToWire(completed.totals),
  processorFees: completed.processorFees.map((fee) => ({ currency: fee.currency, value: formatAmount(fee.amountMinor, fee.currency) })),
  checks: completed.checks,
  reportSha256: completed.reportSha256,
  reportLines: completed.reportLines,
  requestedBy: completed.requestedBy,
  completedAt: completed.completedAt,
});

export const dayClosedToWire = (closed: DayClosed['data']) => ({
  day: closed.day,
  closedBy: closed.closedBy,
  closedAt: closed.closedAt,
  asOfPosition: closed.asOfPosition.toString(),
  currencies: closed.currencies.map((entry) => {
    const currency = entry.currency;
    const format = (minor: bigint) => formatAmount(minor, currency);
    return {
      currency,
      trialBalance: entry.trialBalance.map((line) => ({ accountKind: line.accountKind, balance: format(line.balanceMinor), accounts: line.accounts })),
      trialBalanceTotal: format(entry.trialBalanceTotalMinor),
      summary: Object.fromEntries(Object.entries(entry.summary).map(([column, value]) => [column, column.endsWith('_count') ? value.toString() : format(value)])),
    };
  }),
});
