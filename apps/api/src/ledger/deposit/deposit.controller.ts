import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput } from '@attest/http';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { LedgerCommands } from '../ledger-commands';
import { entryOutput, idempotencyKeyField, moneyInput, reference, walletInput } from '../wire';

export const depositBody = z.strictObject({
  idempotencyKey: idempotencyKeyField,
  wallet: walletInput,
  amount: moneyInput,
  /** The payment processor's reference of the incoming payment. */
  externalReference: reference,
});

/** Money in: the processor reports a payment, finance (acting for it) records the deposit. */
@Controller('v1/deposits')
export class DepositController {
  constructor(private readonly ledger: LedgerCommands) {}

  @Post()
  @Roles('finance', 'operator')
  @Contract({
    summary: "Record a deposit from the payment processor into a user's wallet",
    tags: ['ledger'],
    body: depositBody,
    responses: { 201: entryOutput },
    errors: ['CURRENCY_MISMATCH', 'DUPLICATE_EXTERNAL_REFERENCE', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'dep-0001', wallet: 'user:u1:wallet:CNY', amount: { value: '100.00', currency: 'CNY' }, externalReference: 'psp-20260101-0001' }],
  })
  async deposit(@Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(depositBody, raw, 'body');
    const { idempotencyKey: _key, ...fingerprint } = raw as Record<string, unknown>;
    await this.ledger.run({
      scope: 'ledger.deposit',
      request,
      reply,
      actor,
      bodyKey: body.idempotencyKey,
      fingerprint,
      successStatus: 201,
      build: (entryId) => ({
        wallet: body.wallet,
        command: {
          type: 'DepositFunds',
          wallet: body.wallet,
          entryId,
          amountMinor: body.amount.amountMinor,
          amountCurrency: body.amount.currency,
          externalReference: body.externalReference,
        },
      }),
    });
  }
}
