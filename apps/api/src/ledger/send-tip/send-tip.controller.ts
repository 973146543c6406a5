import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput } from '@attest/http';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { ensureOwnSubject } from '../../auth/scoping';
import { LedgerCommands } from '../ledger-commands';
import { LedgerSettings } from '../ledger.settings';
import { entryOutput, idempotencyKeyField, moneyInput, walletInput } from '../wire';

export const sendTipBody = z.strictObject({
  idempotencyKey: idempotencyKeyField,
  /** The payer's wallet: the caller's own. */
  from: walletInput,
  to: walletInput,
  amount: moneyInput,
  /** Optional note to the payee. Personal data: encrypted at rest with the payer's key. */
  note: z.string().trim().min(1).max(280).optional(),
});

/** The hot path: a subject tips another user. No projection is awaited here. */
@Controller('v1/tips')
export class SendTipController {
  constructor(
    private readonly ledger: LedgerCommands,
    private readonly settings: LedgerSettings,
  ) {}

  @Post()
  @Roles('subject')
  @Contract({
    summary: 'Tip another user; the platform keeps its commission (rounded down) and the payee gets the rest',
    tags: ['ledger'],
    body: sendTipBody,
    responses: { 201: entryOutput },
    errors: ['INSUFFICIENT_FUNDS', 'AMOUNT_OUT_OF_RANGE', 'SELF_TIP', 'CURRENCY_MISMATCH', 'UNSUPPORTED_CURRENCY', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'tip-0001', from: 'user:u1:wallet:CNY', to: 'user:u2:wallet:CNY', amount: { value: '12.50', currency: 'CNY' } }],
  })
  async sendTip(@Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(sendTipBody, raw, 'body');
    ensureOwnSubject(actor, body.from.userId);
    const { idempotencyKey: _key, ...fingerprint } = raw as Record<string, unknown>;
    await this.ledger.run({
      scope: 'ledger.tip',
      request,
      reply,
      actor,
      bodyKey: body.idempotencyKey,
      fingerprint,
      successStatus: 201,
      build: (entryId) => ({
        wallet: body.from,
        command: {
          type: 'SendTip',
          wallet: body.from,
          entryId,
          payee: body.to,
          amountMinor: body.amount.amountMinor,
          amountCurrency: body.amount.currency,
          limits: this.settings.limitsFor(body.from.currency),
          commissionBasisPoints: this.settings.commissionBasisPoints,
          note: body.note ?? null,
        },
      }),
    });
  }
}
