import { Inject, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { AttestConfig } from '@attest/config';
import { EventRegistry } from '@attest/event-store';
import { AUDIT_EVENTS, loadSigningKey } from '@attest/audit';
import { ProjectionRunner, ReadModelStore } from '@attest/projection-runner';
import { MerkleLogReader, merkleLogProjection } from '@attest/projections/merkle-log';
import { ATTEST_CONFIG, READ_MODEL_STORE } from '../infrastructure/infrastructure.module';
import { BundleService } from './bundle.service';
import { CheckpointService, SIGNING_KEY } from './checkpoint.service';
import { CheckpointsController } from './checkpoints/checkpoints.controller';
import { ExportBundleController } from './export-bundle/export-bundle.controller';
import { ProofsController } from './proofs/proofs.controller';

/**
 * Provable history (issue 6): the Merkle log projection over every event, signed checkpoints,
 * RFC 9162 proofs and subject audit bundles under /v1/audit. Design: docs/adr/0011-merkle-log-and-checkpoints.md.
 */
@Module({
  controllers: [CheckpointsController, ProofsController, ExportBundleController],
  providers: [
    {
      provide: SIGNING_KEY,
      inject: [ATTEST_CONFIG],
      useFactory: (config: AttestConfig) => loadSigningKey(config.audit.signingKeyPath, config.audit.origin, { createIfMissing: config.audit.createSigningKey }),
    },
    { provide: MerkleLogReader, inject: [READ_MODEL_STORE], useFactory: (readModels: ReadModelStore) => new MerkleLogReader(readModels.query) },
    CheckpointService,
    BundleService,
  ],
  exports: [CheckpointService, MerkleLogReader],
})
export class AuditModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly registry: EventRegistry,
    private readonly runner: ProjectionRunner,
    private readonly checkpoints: CheckpointService,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(...AUDIT_EVENTS);
    this.runner.register(merkleLogProjection);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The projection worker thread appends nothing: the API thread issues the checkpoints.
    if (this.config.projectionWorker) return;
    await this.checkpoints.start();
  }
}
