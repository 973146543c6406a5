import { Body, Controller, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { StreamCommandExecutor } from '@attest/decider';
import { noticeDecider, noticeStream, noticeVersion, purposeDecider, purposeStream, recipientDecider, recipientStream } from '@attest/consent';
import { Contract, parseInput, problemFromFailure, ProblemException } from '@attest/http';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { CatalogueService } from '../catalogue.service';
import {
  definePurposeBody,
  defineRecipientBody,
  noticeParams,
  noticeVersionParams,
  publishNoticeBody,
  purposeParams,
  recipientParams,
} from '../consent.schemas';
import { appendContext } from '../request-context';

const purposeView = z.object({ purposeId: z.string(), revision: z.number(), description: z.string(), sensitive: z.boolean(), compatibleWith: z.array(z.string()) });
const recipientView = z.object({ recipientId: z.string(), revision: z.number(), jurisdiction: z.string(), name: z.string().nullable(), contact: z.string().nullable() });
const noticeView = z.object({ noticeId: z.string(), version: z.number(), textHash: z.string(), text: z.string() }).loose();

/** The consent catalogue: purposes, recipients and notice versions (operators write; everyone reads notices). */
@Controller('v1')
export class CatalogueController {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly catalogue: CatalogueService,
  ) {}

  @Put('purposes/:purposeId')
  @HttpCode(200)
  @Roles('operator')
  @Contract({
    summary: 'Define or redefine a processing purpose',
    tags: ['consent-catalogue'],
    params: purposeParams,
    body: definePurposeBody,
    responses: { 200: purposeView },
    errors: ['PURPOSE_NOT_FOUND'],
    examples: [{ description: 'Compute a credit score', sensitive: true, compatibleWith: ['credit-limit-decision'] }],
  })
  async definePurpose(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { purposeId } = parseInput(purposeParams, rawParams, 'params');
    const body = parseInput(definePurposeBody, rawBody, 'body');
    const now = new Date().toISOString();
    await this.catalogue.refresh();
    const result = await this.executor.execute({
      decider: purposeDecider,
      deciderName: 'consent-purpose',
      streamId: purposeStream(purposeId),
      command: { type: 'DefinePurpose', purposeId, ...body, now, catalogue: this.catalogue.snapshot },
      context: appendContext(actor, request, now),
    });
    if (result.decision.kind === 'rejected') throw problemFromFailure(result.decision.failure);
    await this.catalogue.refresh();
    const current = result.state.current;
    if (!current) throw new Error('purpose missing after definition');
    return { purposeId, revision: current.revision, description: current.description, sensitive: current.sensitive, compatibleWith: current.compatibleWith };
  }

  @Get('purposes')
  @Roles('operator', 'compliance', 'subject', 'partner')
  @Contract({ summary: 'List purposes', tags: ['consent-catalogue'], responses: { 200: z.object({ items: z.array(purposeView) }) } })
  listPurposes() {
    return { items: [...this.catalogue.snapshot.purposes.values()].sort((a, b) => a.purposeId.localeCompare(b.purposeId)) };
  }

  @Put('recipients/:recipientId')
  @HttpCode(200)
  @Roles('operator')
  @Contract({
    summary: 'Register or update a third-party recipient',
    tags: ['consent-catalogue'],
    params: recipientParams,
    body: defineRecipientBody,
    responses: { 200: recipientView },
    examples: [{ name: 'Sesame Bureau', contact: 'dpo@bureau.example', jurisdiction: 'CN' }],
  })
  async defineRecipient(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { recipientId } = parseInput(recipientParams, rawParams, 'params');
    const body = parseInput(defineRecipientBody, rawBody, 'body');
    const now = new Date().toISOString();
    const result = await this.executor.execute({
      decider: recipientDecider,
      deciderName: 'consent-recipient',
      streamId: recipientStream(recipientId),
      command: { type: 'DefineRecipient', recipientId, ...body, now },
      context: appendContext(actor, request, now),
    });
    await this.catalogue.refresh();
    const current = result.state.current;
    if (!current) throw new Error('recipient missing after registration');
    return { recipientId, ...current };
  }

  @Get('recipients')
  @Roles('operator', 'compliance', 'subject', 'partner')
  @Contract({ summary: 'List recipients', tags: ['consent-catalogue'], responses: { 200: z.object({ items: z.array(recipientView) }) } })
  listRecipients() {
    return { items: [...this.catalogue.snapshot.recipients.values()].sort((a, b) => a.recipientId.localeCompare(b.recipientId)) };
  }

  @Post('notices/:noticeId/versions')
  @HttpCode(201)
  @Roles('operator')
  @Contract({
    summary: 'Publish an immutable notice version (the server computes its SHA-256)',
    tags: ['consent-catalogue'],
    params: noticeParams,
    body: publishNoticeBody,
    responses: { 201: noticeView },
    errors: ['NOTICE_VERSION_EXISTS', 'PURPOSE_NOT_FOUND', 'RECIPIENT_NOT_FOUND'],
    examples: [
      {
        version: 1,
        language: 'en',
        text: 'We compute a credit score from your transactions and share it with Sesame Bureau.',
        controller: { name: 'PayApp Ltd', contact: 'privacy@payapp.example' },
        purposes: ['credit-scoring'],
        recipients: ['bureau'],
        dataCategories: ['transactions'],
        retention: '3 years',
        howToWithdraw: 'Settings > Privacy',
      },
    ],
  })
  async publishNotice(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { noticeId } = parseInput(noticeParams, rawParams, 'params');
    const body = parseInput(publishNoticeBody, rawBody, 'body');
    const now = new Date().toISOString();
    await this.catalogue.refresh();
    const result = await this.executor.execute({
      decider: noticeDecider,
      deciderName: 'consent-notice',
      streamId: noticeStream(noticeId),
      command: { type: 'PublishNoticeVersion', noticeId, ...body, now, catalogue: this.catalogue.snapshot },
      context: appendContext(actor, request, now),
    });
    if (result.decision.kind === 'rejected') throw problemFromFailure(result.decision.failure);
    await this.catalogue.refresh();
    return this.noticeVersionView(noticeId, body.version);
  }

  @Get('notices/:noticeId/versions/:version')
  @Roles('operator', 'compliance', 'subject', 'partner')
  @Contract({ summary: 'One notice version: exact text, hash and scope', tags: ['consent-catalogue'], params: noticeVersionParams, responses: { 200: noticeView }, errors: ['NOTICE_NOT_FOUND'] })
  async getNoticeVersion(@Param() rawParams: unknown) {
    const { noticeId, version } = parseInput(noticeVersionParams, rawParams, 'params');
    if (!noticeVersion(this.catalogue.snapshot, noticeId, version)) await this.catalogue.refresh();
    return this.noticeVersionView(noticeId, version);
  }

  private noticeVersionView(noticeId: string, version: number) {
    const found = noticeVersion(this.catalogue.snapshot, noticeId, version);
    if (!found) throw new ProblemException('NOTICE_NOT_FOUND', `notice ${noticeId} has no version ${version}`);
    return found;
  }
}
