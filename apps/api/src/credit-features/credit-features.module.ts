import { Module, OnModuleInit } from '@nestjs/common';
import { ProjectionRunner } from '@attest/projection-runner';
import { creditFeaturesProjection } from '@attest/projections/credit-features/credit-features.projection';
import { ConsentModule } from '../consent/consent.module';
import { ReadSide } from '../infrastructure/read-side';
import { creditFeaturesRead } from './credit-features.read-side';
import { ServeCreditFeaturesController } from './serve-credit-features/serve-credit-features.controller';

/**
 * Credit features: the consent-gated read model of ledger behaviour and the partner route that
 * serves it through the consent share gate. The ledger and consent modules register the events
 * it reads; it only registers its projection.
 */
@Module({
  imports: [ConsentModule],
  controllers: [ServeCreditFeaturesController],
})
export class CreditFeaturesModule implements OnModuleInit {
  constructor(
    private readonly runner: ProjectionRunner,
    private readonly readSide: ReadSide,
  ) {}

  onModuleInit(): void {
    this.runner.register(creditFeaturesProjection);
    this.readSide.register(creditFeaturesRead);
  }
}
