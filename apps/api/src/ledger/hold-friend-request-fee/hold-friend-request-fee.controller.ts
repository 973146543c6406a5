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

export const holdFriendRequestFeeBody = z.strictObject({
  idempotencyKey: idempotencyKeyField,
  from: walletInput,
  to: walletInput,
  fee: moneyInput,
});

/** Sending a friend request with a fee holds the fee in escrow until it is resolved. */
@Controller('v1/friend-requests')
export class HoldFriendRequestFeeController {
  constructor(
    private readonly ledger: LedgerCommands,
    private readonly settings: LedgerSettings,
  ) {}

  @Post()
  @Roles('subject')
  @Contract({
    summary: 'Send a friend request with a fee: the fee is held until accepted, declined, withdrawn or expired',
    tags: ['ledger'],
    body: holdFriendRequestFeeBody,
    responses: { 201: entryOutput },
    errors: ['INSUFFICIENT_FUNDS', 'AMOUNT_OUT_OF_RANGE', 'SELF_TIP', 'CURRENCY_MISMATCH', 'UNSUPPORTED_CURRENCY', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'fr-0001', from: 'user:u1:wallet:CNY', to: 'user:u2:wallet:CNY', fee: { value: '5.00', currency: 'CNY' } }],
  })
  async hold(@Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(holdFriendRequestFeeBody, raw, 'body');
    ensureOwnSubject(actor, body.from.userId);
    const { idempotencyKey: _key, ...fingerprint } = raw as Record<string, unknown>;
    await this.ledger.run({
      scope: 'ledger.friend-request.hold',
      request,
      reply,
      actor,
      bodyKey: body.idempotencyKey,
      fingerprint,
      successStatus: 201,
      build: (entryId) => ({
        wallet: body.from,
        command: {
          type: 'HoldFriendRequestFee',
          wallet: body.from,
          entryId,
          recipient: body.to,
          amountMinor: body.fee.amountMinor,
          amountCurrency: body.fee.currency,
          limits: this.settings.limitsFor(body.from.currency),
          // The command's time: the expiry is fixed when the fee is held.
          expiresAt: new Date(Date.now() + this.settings.friendRequestHoldMs).toISOString(),
        },
      }),
    });
  }
}
