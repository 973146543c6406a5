import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { Currency, isCurrency } from '@attest/ledger';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { LedgerCommands } from '../ledger-commands';
import { entryOutput, idempotencyKeyField, idParams, reference } from '../wire';

export const settlePayoutBody = z.strictObject({ idempotencyKey: idempotencyKeyField, externalReference: reference });
export const failPayoutBody = z.strictObject({ idempotencyKey: idempotencyKeyField, failureCode: reference });
const payoutParams = idParams('payoutId');

/** The processor's answer to a payout (finance records it): settled, or failed and returned. */
@Controller('v1/payouts/:payoutId')
export class CompletePayoutController {
  constructor(private readonly ledger: LedgerCommands) {}

  @Post('settle')
  @HttpCode(200)
  @Roles('finance', 'operator')
  @Contract({
    summary: 'Record that the processor settled a payout',
    tags: ['ledger'],
    params: payoutParams,
    body: settlePayoutBody,
    responses: { 200: entryOutput },
    errors: ['PAYOUT_NOT_FOUND', 'PAYOUT_ALREADY_COMPLETED', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'po-0001-settled', externalReference: 'psp-out-778' }],
  })
  async settle(@Param() params: unknown, @Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(settlePayoutBody, raw, 'body');
    await this.complete('settle', params, body.idempotencyKey, raw, actor, request, reply, (wallet, entryId, payoutId) => ({
      type: 'SettlePayout' as const,
      wallet,
      entryId,
      payoutId,
      externalReference: body.externalReference,
    }));
  }

  @Post('fail')
  @HttpCode(200)
  @Roles('finance', 'operator')
  @Contract({
    summary: 'Record that the processor failed a payout: the money goes back to the wallet',
    tags: ['ledger'],
    params: payoutParams,
    body: failPayoutBody,
    responses: { 200: entryOutput },
    errors: ['PAYOUT_NOT_FOUND', 'PAYOUT_ALREADY_COMPLETED', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'po-0001-failed', failureCode: 'ACCOUNT_CLOSED' }],
  })
  async fail(@Param() params: unknown, @Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(failPayoutBody, raw, 'body');
    await this.complete('fail', params, body.idempotencyKey, raw, actor, request, reply, (wallet, entryId, payoutId) => ({
      type: 'FailPayout' as const,
      wallet,
      entryId,
      payoutId,
      failureCode: body.failureCode,
    }));
  }

  private async complete(
    outcome: 'settle' | 'fail',
    rawParams: unknown,
    bodyKey: string | undefined,
    raw: unknown,
    actor: Actor,
    request: FastifyRequest,
    reply: FastifyReply,
    command: (wallet: { userId: string; currency: Currency }, entryId: string, payoutId: string) =>
      | { type: 'SettlePayout'; wallet: { userId: string; currency: Currency }; entryId: string; payoutId: string; externalReference: string }
      | { type: 'FailPayout'; wallet: { userId: string; currency: Currency }; entryId: string; payoutId: string; failureCode: string },
  ): Promise<void> {
    const { payoutId } = parseInput(payoutParams, rawParams, 'params') as { payoutId: string };
    const payout = await this.ledger.entry(payoutId);
    if (!payout || payout.entryType !== 'PayoutRequested' || !isCurrency(payout.currency)) throw new ProblemException('PAYOUT_NOT_FOUND', `no payout ${payoutId}`);
    const wallet = { userId: payout.walletUserId, currency: payout.currency as Currency };
    const { idempotencyKey: _key, ...fingerprint } = raw as Record<string, unknown>;
    await this.ledger.run({
      scope: `ledger.payout.${outcome}`,
      request,
      reply,
      actor,
      bodyKey,
      fingerprint: { payoutId, ...fingerprint },
      successStatus: 200,
      build: (entryId) => ({ wallet, command: command(wallet, entryId, payoutId) }),
    });
  }
}
