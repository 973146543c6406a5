import { Module, OnModuleInit } from '@nestjs/common';
import { AttestConfig } from '@attest/config';
import { EventRegistry } from '@attest/event-store';
import { LEDGER_EVENTS } from '@attest/ledger';
import { ProjectionRunner } from '@attest/projection-runner';
import { balancesProjection } from '@attest/projections/balances/balances.projection';
import { dailySummaryProjection } from '@attest/projections/daily-summary/daily-summary.projection';
import { ATTEST_CONFIG } from '../infrastructure/infrastructure.module';
import { CompletePayoutController } from './complete-payout/complete-payout.controller';
import { DepositController } from './deposit/deposit.controller';
import { HoldFriendRequestFeeController } from './hold-friend-request-fee/hold-friend-request-fee.controller';
import { LedgerCommands } from './ledger-commands';
import { LedgerSettings } from './ledger.settings';
import { LedgerQueriesController } from './queries/ledger-queries.controller';
import { RequestPayoutController } from './request-payout/request-payout.controller';
import { ResolveFriendRequestFeeController } from './resolve-friend-request-fee/resolve-friend-request-fee.controller';
import { ReverseEntryController } from './reverse-entry/reverse-entry.controller';
import { SendTipController } from './send-tip/send-tip.controller';

/** The ledger: deposits, tips, friend-request fees, reversals, payouts, and their read models. */
@Module({
  controllers: [
    DepositController,
    SendTipController,
    HoldFriendRequestFeeController,
    ResolveFriendRequestFeeController,
    ReverseEntryController,
    RequestPayoutController,
    CompletePayoutController,
    LedgerQueriesController,
  ],
  providers: [{ provide: LedgerSettings, inject: [ATTEST_CONFIG], useFactory: (config: AttestConfig) => new LedgerSettings(config) }, LedgerCommands],
})
export class LedgerModule implements OnModuleInit {
  constructor(
    private readonly registry: EventRegistry,
    private readonly runner: ProjectionRunner,
  ) {}

  onModuleInit(): void {
    this.registry.register(...LEDGER_EVENTS);
    this.runner.register(balancesProjection, dailySummaryProjection);
  }
}
