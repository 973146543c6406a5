import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { CURRENCY_CODES, Currency, formatAmount, parseAccount, parseWalletAccount } from '@attest/ledger';
import { ReadModelStore } from '@attest/projection-runner';
import { accountBalance, AsOf, statement, STATEMENT_PAGE_MAX, trialBalance } from '@attest/projections/balances/balances.queries';
import { dailySummary, DAILY_COLUMNS } from '@attest/projections/daily-summary/daily-summary.projection';
import { AccessAudit } from '../../access-log/access-audit.service';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { READ_MODEL_STORE } from '../../infrastructure/infrastructure.module';
import { LedgerCommands } from '../ledger-commands';
import { moneyOutput } from '../wire';

/** `asOf`: a global position (digits) or an ISO-8601 UTC instant. */
const asOfParam = z
  .union([z.string().regex(/^[0-9]{1,19}$/), z.iso.datetime({ offset: false })], { error: 'must be a global position (digits) or an ISO-8601 UTC instant' })
  .optional()
  .transform((value): AsOf => (value === undefined ? null : /^[0-9]+$/.test(value) ? { position: BigInt(value) } : { instant: value }));

const accountParams = z.strictObject({
  id: z.string().refine((id) => parseAccount(id) !== null, 'must be an account address, for example user:u1:wallet:CNY'),
});
const balanceQuery = z.strictObject({ asOf: asOfParam });
const statementQuery = z.strictObject({
  cursor: z.string().regex(/^[0-9]{1,19}\.[0-9]{1,3}$/, 'must be a cursor returned by the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(STATEMENT_PAGE_MAX).default(50),
});
const trialBalanceQuery = z.strictObject({ currency: z.enum(CURRENCY_CODES), asOf: asOfParam });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day YYYY-MM-DD');
const dailySummaryQuery = z.strictObject({ currency: z.enum(CURRENCY_CODES), from: day, to: day });

/** A subject reads only their own wallets; finance reads any account. */
const ensureMayRead = (actor: Actor, account: string) => {
  if (actor.role !== 'subject') return;
  if (parseWalletAccount(account)?.userId !== actor.id) throw new ProblemException('FORBIDDEN', 'a subject may only read their own wallets');
};

/**
 * Read side of the ledger. Every query first waits (bounded) until the balances projection has
 * applied everything acknowledged so far, so a client reads its own writes.
 */
@Controller('v1')
export class LedgerQueriesController {
  constructor(
    private readonly ledger: LedgerCommands,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    private readonly access: AccessAudit,
  ) {}

  /** Audited reads: finance reading a user's wallet is recorded in that user's access log. */
  private async audit(actor: Actor, account: string, resource: 'ledger-balance' | 'ledger-statement', requestId: string) {
    const wallet = parseWalletAccount(account);
    if (wallet && actor.role !== 'subject') await this.access.record(actor, wallet.userId, resource, undefined, requestId);
  }

  @Get('accounts/:id/balance')
  @Roles('subject', 'finance')
  @Contract({
    summary: 'Posted and held balance of an account, now or as of a position or an instant',
    tags: ['ledger'],
    params: accountParams,
    query: balanceQuery,
    responses: { 200: z.object({ account: z.string(), posted: moneyOutput, held: moneyOutput, asOf: z.string().nullable(), lastPosition: z.string() }) },
    errors: ['PROJECTION_LAGGING'],
  })
  async balance(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor, @Req() request: { id: string }) {
    const { id } = parseInput(accountParams, rawParams, 'params');
    const { asOf } = parseInput(balanceQuery, rawQuery, 'query');
    ensureMayRead(actor, id);
    await this.audit(actor, id, 'ledger-balance', request.id);
    await this.ledger.caughtUp();
    const currency = parseAccount(id)?.currency as Currency;
    const balance = await accountBalance(this.readModels.query, id, asOf);
    return {
      account: id,
      posted: { value: formatAmount(balance.postedMinor, currency), currency },
      held: { value: formatAmount(balance.heldMinor, currency), currency },
      asOf: asOf === null ? null : 'position' in asOf ? asOf.position.toString() : asOf.instant,
      lastPosition: balance.lastPosition.toString(),
    };
  }

  @Get('accounts/:id/statement')
  @Roles('subject', 'finance')
  @Contract({
    summary: "An account's entries, oldest first, with the running balance; cursor pagination",
    tags: ['ledger'],
    params: accountParams,
    query: statementQuery,
    responses: { 200: z.object({ account: z.string(), lines: z.array(z.object({})), nextCursor: z.string().nullable() }) },
    errors: ['PROJECTION_LAGGING'],
  })
  async statement(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor, @Req() request: { id: string }) {
    const { id } = parseInput(accountParams, rawParams, 'params');
    const query = parseInput(statementQuery, rawQuery, 'query');
    ensureMayRead(actor, id);
    await this.audit(actor, id, 'ledger-statement', request.id);
    await this.ledger.caughtUp();
    const currency = parseAccount(id)?.currency as Currency;
    const [position, seq] = query.cursor ? query.cursor.split('.') : [];
    const after = position !== undefined && seq !== undefined ? { position: BigInt(position), seq: Number(seq) } : null;
    const page = await statement(this.readModels.query, id, after, query.limit);
    return {
      account: id,
      lines: page.lines.map((line) => ({
        position: line.position.toString(),
        recordedAt: line.recordedAt,
        entryId: line.entryId,
        type: line.entryType,
        change: { value: formatAmount(line.deltaMinor, currency), currency },
        heldChange: { value: formatAmount(line.heldDeltaMinor, currency), currency },
        balance: { value: formatAmount(line.balanceAfterMinor, currency), currency },
      })),
      nextCursor: page.next ? `${page.next.position}.${page.next.seq}` : null,
    };
  }

  @Get('ledger/trial-balance')
  @Roles('finance')
  @Contract({
    summary: 'Balances by kind of account in one currency; the total is zero when the books balance',
    tags: ['ledger'],
    query: trialBalanceQuery,
    responses: { 200: z.object({ currency: z.string(), lines: z.array(z.object({})), total: moneyOutput, balanced: z.boolean() }) },
    errors: ['PROJECTION_LAGGING'],
  })
  async trialBalance(@Query() rawQuery: unknown) {
    const { currency, asOf } = parseInput(trialBalanceQuery, rawQuery, 'query');
    await this.ledger.caughtUp();
    const result = await trialBalance(this.readModels.query, currency, asOf);
    return {
      currency,
      asOf: asOf === null ? null : 'position' in asOf ? asOf.position.toString() : asOf.instant,
      lines: result.lines.map((line) => ({ accountKind: line.accountKind, accounts: line.accounts, balance: { value: formatAmount(line.balanceMinor, currency), currency } })),
      total: { value: formatAmount(result.totalMinor, currency), currency },
      balanced: result.totalMinor === 0n,
    };
  }

  @Get('ledger/daily-summary')
  @Roles('finance')
  @Contract({
    summary: 'Per day (UTC) and currency: tips, friend-request fees, commission, reversals, payouts, deposits',
    tags: ['ledger'],
    query: dailySummaryQuery,
    responses: { 200: z.object({ currency: z.string(), days: z.array(z.object({})) }) },
    errors: ['PROJECTION_LAGGING'],
  })
  async dailySummary(@Query() rawQuery: unknown) {
    const { currency, from, to } = parseInput(dailySummaryQuery, rawQuery, 'query');
    await this.ledger.caughtUp();
    const rows = await dailySummary(this.readModels.query, currency, from, to);
    return {
      currency,
      days: rows.map((row) => {
        const day: Record<string, unknown> = { day: row.day };
        for (const column of DAILY_COLUMNS) {
          const value = BigInt(row[column] ?? 0);
          const name = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
          day[name.replace(/Minor$/, '')] = column.endsWith('_count') ? Number(value) : { value: formatAmount(value, currency), currency };
        }
        return day;
      }),
    };
  }
}
