import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { Currency, isCurrency } from '@attest/ledger';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { LedgerCommands } from '../ledger-commands';
import { entryOutput, idempotencyKeyField } from '../wire';

export const reverseEntryBody = z.strictObject({
  idempotencyKey: idempotencyKeyField,
  entryId: z.uuid({ error: 'must be the entryId of a tip or an accepted friend-request fee' }),
  reason: z.string().trim().min(1).max(500),
  /** Record the reversal even if it leaves the payee's wallet below zero (the force is recorded). */
  force: z.boolean().default(false),
});

/**
 * Finance reverses a tip or an accepted friend-request fee: a compensating entry that references
 * the original, decided on the payee's wallet (the money comes back out of it).
 */
@Controller('v1/reversals')
export class ReverseEntryController {
  constructor(private readonly ledger: LedgerCommands) {}

  @Post()
  @Roles('finance', 'operator')
  @Contract({
    summary: 'Reverse a tip or an accepted friend-request fee with a compensating entry',
    tags: ['ledger'],
    body: reverseEntryBody,
    responses: { 201: entryOutput },
    errors: ['ENTRY_NOT_FOUND', 'NOT_REVERSIBLE', 'ALREADY_REVERSED', 'NEGATIVE_BALANCE_NOT_FORCED', 'IDEMPOTENCY_KEY_REUSED'],
    examples: [{ idempotencyKey: 'rev-0001', entryId: '0190a000-0000-7000-8000-000000000001', reason: 'chargeback from the processor', force: false }],
  })
  async reverse(@Body() raw: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = parseInput(reverseEntryBody, raw, 'body');
    const original = await this.ledger.entry(body.entryId);
    if (!original) throw new ProblemException('ENTRY_NOT_FOUND', `no ledger entry ${body.entryId}`, { errors: [{ path: 'body.entryId', code: 'ENTRY_NOT_FOUND', message: 'no such entry' }] });
    const { reversibleKind: kind, payerId, payeeId, amountMinor, feeMinor, netMinor } = original;
    if (!kind || !payerId || !payeeId || amountMinor === null || feeMinor === null || netMinor === null || !isCurrency(original.currency))
      throw new ProblemException('NOT_REVERSIBLE', `entry ${body.entryId} is a ${original.entryType}; only tips and accepted friend-request fees are reversed`, {
        errors: [{ path: 'body.entryId', code: 'NOT_REVERSIBLE', message: 'not a tip or an accepted friend-request fee' }],
      });
    const currency = original.currency as Currency;
    const payee = { userId: payeeId, currency };
    const { idempotencyKey: _key, ...fingerprint } = raw as Record<string, unknown>;
    await this.ledger.run({
      scope: 'ledger.reversal',
      request,
      reply,
      actor,
      bodyKey: body.idempotencyKey,
      fingerprint,
      successStatus: 201,
      build: (entryId) => ({
        wallet: payee,
        command: {
          type: 'ReverseEntry',
          wallet: payee,
          entryId,
          original: { entryId: original.entryId, kind, payerId, payeeId, currency, amountMinor, feeMinor, netMinor },
          reason: body.reason,
          force: body.force,
        },
      }),
    });
  }
}
