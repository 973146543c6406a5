import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { noticeCoverage } from '@attest/consent';
import { Contract, parseInput } from '@attest/http';
import { ReadModelStore } from '@attest/projection-runner';
import { queryPartnerSubjects } from '@attest/projections/consent-partner-view/consent-partner-view.projection';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { ensureOwnRecipient } from '../../auth/scoping';
import { READ_MODEL_STORE } from '../../infrastructure/infrastructure.module';
import { CatalogueService } from '../catalogue.service';
import { SubjectConsentService } from '../consent.service';
import { partnerSubjectsQuery, recipientParams, shareBody, shareResponse } from '../consent.schemas';
import { appendContext } from '../request-context';

/** A partner (acting as its own recipient) asks for data, and sees which subjects allow what. */
@Controller('v1/recipients/:recipientId')
export class DataSharesController {
  constructor(
    private readonly consents: SubjectConsentService,
    private readonly catalogue: CatalogueService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  @Post('shares')
  @HttpCode(201)
  @Roles('partner')
  @Contract({
    summary: "Request a subject's data for a purpose and data categories",
    description:
      'Decided against the subject\'s consent stream with optimistic concurrency; recorded either way (DataShared, or DataShareRefused answered as 403 with the reason code).',
    tags: ['consent'],
    params: recipientParams,
    body: shareBody,
    responses: { 201: shareResponse },
    errors: ['NO_CONSENT', 'WITHDRAWN', 'EXPIRED', 'PURPOSE_INCOMPATIBLE', 'RECIPIENT_NOT_COVERED', 'NOTICE_OUTDATED', 'PURPOSE_NOT_FOUND', 'RECIPIENT_NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ shareId: 'req-0001', subjectId: 'u1', purposeId: 'credit-scoring', dataCategories: ['credit-score'] }],
  })
  async requestShare(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { recipientId } = parseInput(recipientParams, rawParams, 'params');
    ensureOwnRecipient(actor, recipientId);
    const body = parseInput(shareBody, rawBody, 'body');
    const now = new Date().toISOString();
    const { share, position } = await this.consents.requestShare(
      { type: 'RequestDataShare', subjectId: body.subjectId, shareId: body.shareId, recipientId, purposeId: body.purposeId, dataCategories: body.dataCategories, collectedFor: null, now },
      appendContext(actor, request, now),
    );
    return {
      shareId: share.shareId,
      outcome: 'shared' as const,
      shareEventId: share.eventId,
      consentId: share.consentId,
      consentEventId: share.consentEventId,
      notice: share.notice,
      dataCategories: share.dataCategories,
      sharedAt: share.at,
      position: position?.toString() ?? null,
    };
  }

  @Get('subjects')
  @Roles('partner', 'compliance', 'operator')
  @Contract({
    summary: 'Which subjects currently allow which purposes for this recipient (keyset-paginated)',
    tags: ['consent'],
    params: recipientParams,
    query: partnerSubjectsQuery,
    responses: { 200: z.object({ items: z.array(z.object({ subjectId: z.string(), purposeId: z.string() }).loose()), nextCursor: z.string().nullable() }) },
  })
  async subjects(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor) {
    const { recipientId } = parseInput(recipientParams, rawParams, 'params');
    ensureOwnRecipient(actor, recipientId);
    const query = parseInput(partnerSubjectsQuery, rawQuery, 'query');
    const [subjectId, consentId] = query.cursor?.split('.') ?? [];
    const after = subjectId !== undefined && consentId !== undefined ? { subjectId, consentId } : null;
    const now = new Date().toISOString();
    const result = await queryPartnerSubjects(this.readModels.query, recipientId, { purposeId: query.purposeId ?? null, after, limit: query.limit, now });
    const catalogue = this.catalogue.snapshot;
    return {
      items: result.items.map((item) => ({
        ...item,
        // A later notice version that drops this purpose or recipient means the consent no longer covers it.
        noticeScopeCurrent: noticeCoverage(catalogue, item.notice, { purposeId: item.purposeId, recipientId, dataCategories: [] }) === 'covered',
      })),
      nextCursor: result.next ? `${result.next.subjectId}.${result.next.consentId}` : null,
    };
  }
}
