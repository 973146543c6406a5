import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput } from '@attest/http';
import { ReadModelStore } from '@attest/projection-runner';
import { querySubjectConsents, querySubjectShares } from '@attest/projections/consent-subject-view/consent-subject-view.projection';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { ensureOwnSubject } from '../../auth/scoping';
import { READ_MODEL_STORE } from '../../infrastructure/infrastructure.module';
import { SubjectConsentService } from '../consent.service';
import { grantBody, grantResponse, pageQuery, subjectParams, withdrawAllBody, withdrawBody, withdrawResponse } from '../consent.schemas';
import { appendContext, evidenceOf } from '../request-context';

const page = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/**
 * A subject's own consents: grant one decision, withdraw one, withdraw everything (one call each:
 * withdrawing takes no more steps than granting), list consents and the shares of their data.
 */
@Controller('v1/subjects/:subjectId')
export class SubjectConsentsController {
  constructor(
    private readonly consents: SubjectConsentService,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  @Post('consents')
  @HttpCode(201)
  @Roles('subject')
  @Contract({
    summary: 'Grant one consent (one purpose, at most one named recipient) under a cited notice version',
    description:
      'Invalid consent (pre-ticked, bundled, wrong notice hash, not separate, recipient or purpose not in the notice) is refused with 422 and recorded as a ConsentAttemptRejected event.',
    tags: ['consent'],
    params: subjectParams,
    body: grantBody,
    responses: { 201: grantResponse },
    errors: [
      'PRE_TICKED_CONSENT',
      'BUNDLED_CONSENT',
      'NOTICE_HASH_MISMATCH',
      'SEPARATE_CONSENT_REQUIRED',
      'RECIPIENT_NOT_IN_NOTICE',
      'PURPOSE_NOT_IN_NOTICE',
      'NOTICE_NOT_FOUND',
      'PURPOSE_NOT_FOUND',
      'RECIPIENT_NOT_FOUND',
      'IDEMPOTENCY_KEY_REUSED',
    ],
    examples: [
      {
        consentId: 'c-2026-01',
        purposeId: 'credit-scoring',
        recipientId: 'bureau',
        notice: { noticeId: 'credit-sharing', version: 1, textHash: '0'.repeat(64) },
        language: 'en',
        collection: {
          channel: 'mobile-app',
          surface: 'privacy/credit-sharing',
          checkboxDefault: 'unchecked',
          action: { kind: 'checkbox-tick', dedicated: true },
          alsoAccepted: [],
        },
        expiresAt: null,
      },
    ],
  })
  async grant(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { subjectId } = parseInput(subjectParams, rawParams, 'params');
    ensureOwnSubject(actor, subjectId);
    const body = parseInput(grantBody, rawBody, 'body');
    const now = new Date().toISOString();
    const result = await this.consents.grant(
      { type: 'GrantConsent', subjectId, ...body, evidence: evidenceOf(request), now },
      appendContext(actor, request, now),
    );
    return { consentId: body.consentId, consentEventId: result.consentEventId, position: result.position?.toString() ?? null, receipt: result.receipt };
  }

  @Post('consents/withdraw')
  @HttpCode(200)
  @Roles('subject')
  @Contract({
    summary: 'Withdraw one consent (by id) or one purpose (optionally for one recipient); effective immediately, idempotent',
    tags: ['consent'],
    params: subjectParams,
    body: withdrawBody,
    responses: { 200: withdrawResponse },
    errors: ['CONSENT_NOT_FOUND'],
    examples: [{ withdrawalId: 'w-1', consentId: 'c-2026-01' }, { withdrawalId: 'w-2', purposeId: 'marketing' }],
  })
  async withdraw(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { subjectId } = parseInput(subjectParams, rawParams, 'params');
    ensureOwnSubject(actor, subjectId);
    const body = parseInput(withdrawBody, rawBody, 'body');
    const target =
      body.consentId !== undefined
        ? { scope: 'consent' as const, consentId: body.consentId }
        : { scope: 'purpose' as const, purposeId: body.purposeId ?? '', ...(body.recipientId === undefined ? {} : { recipientId: body.recipientId }) };
    return this.withdrawWith(subjectId, body.withdrawalId, target, actor, request);
  }

  @Post('consents/withdraw-all')
  @HttpCode(200)
  @Roles('subject')
  @Contract({
    summary: 'Withdraw every consent in one call; effective immediately, idempotent',
    tags: ['consent'],
    params: subjectParams,
    body: withdrawAllBody,
    responses: { 200: withdrawResponse },
    examples: [{ withdrawalId: 'w-all-1' }],
  })
  async withdrawAll(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { subjectId } = parseInput(subjectParams, rawParams, 'params');
    ensureOwnSubject(actor, subjectId);
    const body = parseInput(withdrawAllBody, rawBody, 'body');
    return this.withdrawWith(subjectId, body.withdrawalId, { scope: 'all' }, actor, request);
  }

  private async withdrawWith(
    subjectId: string,
    withdrawalId: string,
    target: { scope: 'all' } | { scope: 'consent'; consentId: string } | { scope: 'purpose'; purposeId: string; recipientId?: string | null },
    actor: Actor,
    request: FastifyRequest,
  ) {
    const now = new Date().toISOString();
    const result = await this.consents.withdraw({ type: 'WithdrawConsent', subjectId, withdrawalId, target, now }, appendContext(actor, request, now));
    return {
      withdrawalId,
      withdrawn: result.withdrawn,
      notifiedRecipients: result.notified,
      position: result.position?.toString() ?? null,
      receipts: result.receipts,
    };
  }

  @Get('consents')
  @Roles('subject', 'compliance')
  @Contract({
    summary: "A subject's consents (in force, withdrawn, expired), oldest first",
    tags: ['consent'],
    params: subjectParams,
    query: pageQuery,
    responses: { 200: page(z.object({ consentId: z.string(), status: z.enum(['in-force', 'withdrawn', 'expired']) }).loose()) },
  })
  async listConsents(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor) {
    const { subjectId } = parseInput(subjectParams, rawParams, 'params');
    ensureOwnSubject(actor, subjectId);
    const query = parseInput(pageQuery, rawQuery, 'query');
    return querySubjectConsents(this.readModels.query, subjectId, { after: BigInt(query.cursor ?? '0'), limit: query.limit, now: new Date().toISOString() });
  }

  @Get('shares')
  @Roles('subject', 'compliance')
  @Contract({
    summary: "Every share made of a subject's data: who, when, what, under which consent",
    tags: ['consent'],
    params: subjectParams,
    query: pageQuery,
    responses: { 200: page(z.object({ shareId: z.string(), recipientId: z.string(), consentId: z.string() }).loose()) },
  })
  async listShares(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor) {
    const { subjectId } = parseInput(subjectParams, rawParams, 'params');
    ensureOwnSubject(actor, subjectId);
    const query = parseInput(pageQuery, rawQuery, 'query');
    return querySubjectShares(this.readModels.query, subjectId, { after: BigInt(query.cursor ?? '0'), limit: query.limit });
  }
}
