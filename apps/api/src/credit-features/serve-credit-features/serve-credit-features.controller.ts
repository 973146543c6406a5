import { Controller, Get, Header, Inject, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { Actor } from '@attest/auth';
import { AttestConfig } from '@attest/config';
import { EventStore } from '@attest/event-store';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { CREDIT_FEATURE_DATA_CATEGORIES, CREDIT_SCORING_PURPOSE } from '@attest/projections/credit-features/credit-features.definitions';
import { CREDIT_FEATURES_PROJECTION } from '@attest/projections/credit-features/credit-features.projection';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { ensureOwnRecipient } from '../../auth/scoping';
import { SubjectConsentService } from '../../consent/consent.service';
import { appendContext } from '../../consent/request-context';
import { ATTEST_CONFIG } from '../../infrastructure/infrastructure.module';
import { jsonWithFields, ReadSide } from '../../infrastructure/read-side';
import { creditFeaturesRead } from '../credit-features.read-side';
import { creditFeaturesParams, creditFeaturesQuery, creditFeaturesResponse } from '../credit-features.schemas';

/**
 * A partner reads a subject's credit features, as its own recipient, for a declared purpose.
 *
 * Every read is a data share: it goes through the consent share gate on the subject's stream
 * (`SubjectConsentService.requestShare`), which records `DataShared` or `DataShareRefused`
 * before anything is answered. The data is collected for credit scoring (`collectedFor`), so a
 * purpose the catalogue does not make compatible with it (social ranking, the 2016 misuse) is
 * refused as PURPOSE_INCOMPATIBLE whatever the subject consented to.
 *
 * It is a GET because the issue and partners' clients expect a read, but it is not safe in the
 * HTTP sense (it records a share): answers are `no-store`, and `shareId` makes a retry return
 * the same share instead of recording another (docs/adr/0009-credit-features.md).
 */
@Controller('v1/credit-features')
export class ServeCreditFeaturesController {
  constructor(
    private readonly consents: SubjectConsentService,
    private readonly readSide: ReadSide,
    private readonly store: EventStore,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
  ) {}

  @Get(':subjectId')
  @Roles('partner')
  @Header('cache-control', 'no-store')
  // The answer is JSON text from the read side (see below).
  @Header('content-type', 'application/json; charset=utf-8')
  @Contract({
    summary: "Read a subject's credit features for a declared purpose (recorded as a data share)",
    description:
      'Decided by the consent share gate with collectedFor=credit-scoring; recorded either way (DataShared, or DataShareRefused answered as 403 with the reason). ' +
      'Features count only ledger events inside credit-scoring consent windows for the calling recipient; every value carries its lineage (source events, global-position range).',
    tags: ['credit-features'],
    params: creditFeaturesParams,
    query: creditFeaturesQuery,
    responses: { 200: creditFeaturesResponse },
    errors: [
      'PURPOSE_INCOMPATIBLE',
      'NO_CONSENT',
      'WITHDRAWN',
      'EXPIRED',
      'RECIPIENT_NOT_COVERED',
      'NOTICE_OUTDATED',
      'PURPOSE_NOT_FOUND',
      'RECIPIENT_NOT_FOUND',
      'IDEMPOTENCY_KEY_REUSED',
      'PROJECTION_LAGGING',
    ],
  })
  async serve(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { subjectId } = parseInput(creditFeaturesParams, rawParams, 'params');
    const query = parseInput(creditFeaturesQuery, rawQuery, 'query');
    const recipientId = actor.recipientId;
    if (recipientId === undefined) throw new ProblemException('FORBIDDEN', 'a partner token must name the recipient it acts for');
    if (query.recipientId !== undefined) ensureOwnRecipient(actor, query.recipientId);
    const now = new Date().toISOString();
    const asOf = query.asOf === undefined ? now : new Date(query.asOf).toISOString();
    if (asOf > now)
      throw new ProblemException('VALIDATION_FAILED', 'asOf must not be in the future', {
        errors: [{ path: 'query.asOf', code: 'too_big', message: 'must not be after the instant of the request' }],
      });

    // The share gate counts its own decisions (metrics), refusals included.
    const outcome = await this.consents.requestShare(
        {
          type: 'RequestDataShare',
          subjectId,
          shareId: query.shareId ?? uuidv7(),
          recipientId,
          purposeId: query.purpose,
          dataCategories: CREDIT_FEATURE_DATA_CATEGORIES,
          collectedFor: CREDIT_SCORING_PURPOSE,
          now,
        },
        appendContext(actor, request, now),
      );
    const { share, position } = outcome;
    // Read-your-writes on the subject's stream: the read model must have applied every consent
    // event up to this share (a withdrawal and re-consent just before it must already be purged).
    // The read side runs the query beside the read model (a worker thread by default) and answers
    // JSON text, to which the share is added as text too.
    const features = await this.readSide.query(
      creditFeaturesRead,
      { subjectId, recipientId, asOf },
      { projection: CREDIT_FEATURES_PROJECTION, position: position ?? (await this.store.headPosition()), timeoutMs: this.config.readYourWritesTimeoutMs },
    );
    return jsonWithFields(features, {
      purposeId: share.purposeId,
      share: {
        shareId: share.shareId,
        shareEventId: share.eventId,
        consentId: share.consentId,
        consentEventId: share.consentEventId,
        notice: share.notice,
        sharedAt: share.at,
        position: position?.toString() ?? null,
      },
    });
  }
}
