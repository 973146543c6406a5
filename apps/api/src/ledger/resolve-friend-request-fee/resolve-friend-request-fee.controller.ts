import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput, ProblemException, RouteContract } from '@attest/http';
import { Currency, isCurrency, WalletCommand } from '@attest/ledger';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { ensureOwnSubject } from '../../auth/scoping';
import { LedgerCommands } from '../ledger-commands';
import { LedgerSettings } from '../ledger.settings';
import { entryOutput, idempotencyKeyField, idParams } from '../wire';

export const resolveBody = z.strictObject({ idempotencyKey: idempotencyKeyField }).default({});
const holdParams = idParams('holdId');

type Resolution = 'accept' | 'decline' | 'withdraw' | 'expire';

const contract = (summary: string): RouteContract => ({
  summary,
  tags: ['ledger'],
  params: holdParams,
  body: resolveBody,
  responses: { 200: entryOutput },
  errors: ['HOLD_NOT_FOUND', 'HOLD_ALREADY_RESOLVED', 'HOLD_NOT_EXPIRED', 'IDEMPOTENCY_KEY_REUSED'],
  examples: [{ idempotencyKey: 'fr-0001-accept' }],
});

/**
 * A held friend-request fee resolves exactly once, decided on the sender's wallet (where the hold
 * lives): accepted or declined by the recipient, withdrawn by the sender, expired by anyone
 * allowed once its time has passed.
 */
@Controller('v1/friend-requests/:holdId')
export class ResolveFriendRequestFeeController {
  constructor(
    private readonly ledger: LedgerCommands,
    private readonly settings: LedgerSettings,
  ) {}

  @Post('accept')
  @HttpCode(200)
  @Roles('subject')
  @Contract(contract('Accept a friend request (recipient): the fee goes to them, minus commission'))
  accept(@Param() params: unknown, @Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resolve('accept', params, raw, actor, request, reply);
  }

  @Post('decline')
  @HttpCode(200)
  @Roles('subject')
  @Contract(contract('Decline a friend request (recipient): the fee goes back to the sender'))
  decline(@Param() params: unknown, @Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resolve('decline', params, raw, actor, request, reply);
  }

  @Post('withdraw')
  @HttpCode(200)
  @Roles('subject')
  @Contract(contract('Withdraw a friend request (sender): the fee comes back'))
  withdraw(@Param() params: unknown, @Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resolve('withdraw', params, raw, actor, request, reply);
  }

  @Post('expire')
  @HttpCode(200)
  @Roles('subject', 'finance', 'operator')
  @Contract(contract('Expire a friend request whose hold time has passed: the fee goes back to the sender'))
  expire(@Param() params: unknown, @Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resolve('expire', params, raw, actor, request, reply);
  }

  private async resolve(resolution: Resolution, rawParams: unknown, raw: unknown, actor: Actor, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { holdId } = parseInput(holdParams, rawParams, 'params') as { holdId: string };
    const body = parseInput(resolveBody, raw ?? {}, 'body');
    const hold = await this.ledger.entry(holdId);
    if (!hold || hold.entryType !== 'FriendRequestFeeHeld' || !isCurrency(hold.currency))
      throw new ProblemException('HOLD_NOT_FOUND', `no friend-request fee ${holdId} was held`);
    const sender = { userId: hold.walletUserId, currency: hold.currency as Currency };
    // The recipient acts on accept/decline (checked against the hold by the decider); the sender on withdraw/expire.
    if (resolution === 'withdraw' || resolution === 'expire') ensureOwnSubject(actor, sender.userId);
    const command = (entryId: string): WalletCommand => {
      switch (resolution) {
        case 'accept':
          return { type: 'AcceptFriendRequest', wallet: sender, entryId, holdId, recipientId: actor.id, commissionBasisPoints: this.settings.commissionBasisPoints };
        case 'decline':
          return { type: 'DeclineFriendRequest', wallet: sender, entryId, holdId, recipientId: actor.id };
        case 'withdraw':
          return { type: 'WithdrawFriendRequest', wallet: sender, entryId, holdId };
        case 'expire':
          return { type: 'ExpireFriendRequest', wallet: sender, entryId, holdId, now: new Date().toISOString() };
      }
    };
    await this.ledger.run({
      scope: `ledger.friend-request.${resolution}`,
      request,
      reply,
      actor,
      bodyKey: body.idempotencyKey,
      fingerprint: { holdId, actor: actor.id },
      successStatus: 200,
      build: (entryId) => ({ wallet: sender, command: command(entryId) }),
    });
  }
}
