import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput } from '@attest/http';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { ensureOwnSubject } from '../../auth/scoping';
import { LedgerCommands } from '../ledger-commands';
import { entryOutput, idempotencyKeyField, moneyInput, walletInput } from '../wire';

export const requestPayoutBody = z.strictObject({ idempotencyKey: idempotencyKeyField, wallet: walletInput, amount: moneyInput });

/** A subject withdraws money: it waits in payouts clearing until the processor settles or fails it. */
@Controller('v1/payouts')
export class RequestPayoutController {
  constructor(private readonly ledger: LedgerCommands) {}

  @Post()
  @Roles('subject')
  @Contract({
    summary: 'Request a payout from your wallet',
    tags: ['ledger'],
    body: requestPayoutBody,
    responses: { 201: entryOutput },
    errors: ['INSUFFICIENT_FUNDS', 'CURRENCY_MISMATCH', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'po-0001', wallet: 'user:u1:wallet:CNY', amount: { value: '50.00', currency: 'CNY' } }],
  })
  async request(@Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(requestPayoutBody, raw, 'body');
    ensureOwnSubject(actor, body.wallet.userId);
    const { idempotencyKey: _key, ...fingerprint } = raw as Record<string, unknown>;
    await this.ledger.run({
      scope: 'ledger.payout.request',
      request,
      reply,
      actor,
      bodyKey: body.idempotencyKey,
      fingerprint,
      successStatus: 201,
      build: (entryId) => ({
        wallet: body.wallet,
        command: { type: 'RequestPayout', wallet: body.wallet, entryId, amountMinor: body.amount.amountMinor, amountCurrency: body.amount.currency },
      }),
    });
  }
}
