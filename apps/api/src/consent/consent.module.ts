import { Module, OnModuleInit } from '@nestjs/common';
import { EventRegistry } from '@attest/event-store';
import { CONSENT_EVENTS } from '@attest/consent';
import { ProjectionRunner } from '@attest/projection-runner';
import { consentPartnerViewProjection } from '@attest/projections/consent-partner-view/consent-partner-view.projection';
import { consentSubjectViewProjection } from '@attest/projections/consent-subject-view/consent-subject-view.projection';
import { CatalogueController } from './catalogue/catalogue.controller';
import { CatalogueService } from './catalogue.service';
import { ConsentTrailController } from './consent-trail/consent-trail.controller';
import { SubjectConsentService } from './consent.service';
import { DataSharesController } from './data-shares/data-shares.controller';
import { SubjectConsentsController } from './subject-consents/subject-consents.controller';

/** Consent: catalogue, grants and withdrawals, the share gate, and the consent read models. */
@Module({
  controllers: [CatalogueController, SubjectConsentsController, DataSharesController, ConsentTrailController],
  providers: [CatalogueService, SubjectConsentService],
  // Exported so other features (credit features) serve data through the same share gate.
  exports: [SubjectConsentService, CatalogueService],
})
export class ConsentModule implements OnModuleInit {
  constructor(
    private readonly registry: EventRegistry,
    private readonly runner: ProjectionRunner,
    private readonly catalogue: CatalogueService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.registry.register(...CONSENT_EVENTS);
    this.runner.register(consentSubjectViewProjection, consentPartnerViewProjection);
    await this.catalogue.refresh();
  }
}
