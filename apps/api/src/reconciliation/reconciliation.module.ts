import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { EventRegistry } from '@attest/event-store';
import { ProjectionRunner, ReadModelStore } from '@attest/projection-runner';
import { reconciliationLedgerProjection } from '@attest/projections/reconciliation/reconciliation-ledger.projection';
import { RECONCILIATION_EVENTS } from '@attest/reconciliation';
import { READ_MODEL_STORE } from '../infrastructure/infrastructure.module';
import { CloseDayController } from './close-day/close-day.controller';
import { REPORT_TABLE_DDL, ReconciliationService } from './reconciliation.service';
import { RunsController } from './runs/runs.controller';
import { SETTLEMENT_MEDIA_TYPES, UploadSettlementController } from './upload-settlement/upload-settlement.controller';

/**
 * Finance reconciliation: settlement uploads, runs and their reports, daily close.
 *
 * Settlement files are handed to the controller as the raw request stream (a Fastify content
 * type parser that does not read the body): a file of a million rows is parsed as it arrives,
 * never buffered whole. Fastify's global body limit applies only to bodies it reads itself, so
 * the settlement reader enforces its own bound on bytes and rows.
 */
@Module({
  controllers: [UploadSettlementController, RunsController, CloseDayController],
  providers: [ReconciliationService],
})
export class ReconciliationModule implements OnModuleInit {
  constructor(
    private readonly registry: EventRegistry,
    private readonly runner: ProjectionRunner,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  async onModuleInit(): Promise<void> {
    this.registry.register(...RECONCILIATION_EVENTS);
    this.runner.register(reconciliationLedgerProjection);
    // Reports are kept beside the read models; they are not a projection (a run's report is what it
    // found then, pinned by the hash in its completion event), so a rebuild never touches them.
    await this.readModels.exec(REPORT_TABLE_DDL);
    // The projector builds this module without HTTP (an application context): no adapter, no parser.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser(Object.keys(SETTLEMENT_MEDIA_TYPES), (_request, payload, done) => done(null, payload));
  }
}
