import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { SubjectKeyStore } from '@attest/crypto-shredding';
import { opaqueId } from '@attest/event-store';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { CurrentActor, Roles } from '../auth/auth.decorators';
import { ensureOwnSubject } from '../auth/scoping';
import { SubjectConsentService } from '../consent/consent.service';
import { appendContext } from '../consent/request-context';
import { SUBJECT_KEY_STORE } from '../infrastructure/infrastructure.module';

const Params = z.strictObject({ subjectId: opaqueId });
const Body_ = z.strictObject({
  /** The client's id for this request: retrying it changes nothing. */
  erasureId: opaqueId,
  /** Required when an operator acts for the subject (why, and on what authority). Not stored with the subject's data. */
  reason: z.string().trim().min(3).max(500).optional(),
});
const Response_ = z.object({
  subjectId: z.string(),
  erasureId: z.string(),
  alreadyErased: z.boolean(),
  withdrawnConsents: z.array(z.string()),
  notifiedRecipients: z.array(z.string()),
  keyDestroyed: z.literal(true),
  position: z.string().nullable(),
  retained: z.array(z.string()),
});

/** What stays after erasure, and why (docs/erasure.md). */
const RETAINED = [
  'money movements under the opaque subject id (accounting retention duties)',
  'consent, withdrawal and share records without personal data (proof of lawful processing, PIPL Art. 56: at least 3 years)',
  'ciphertext of personal fields, unreadable without the destroyed key (so every Merkle proof still verifies)',
];

/**
 * Right to erasure (crypto-shredding). One call: every consent is withdrawn and recipients are
 * notified, `SubjectErased` is recorded (no personal data in it), then the subject's data key is
 * destroyed — every personal field of theirs, in every event and backup of the log, reads as
 * `erased` from then on. Retrying is safe: the key is destroyed again if a crash came in between.
 */
@Controller('v1/subjects/:subjectId/erasure')
export class ErasureController {
  constructor(
    private readonly consents: SubjectConsentService,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('subject', 'operator')
  @Contract({
    summary: "Erase a subject's personal data: withdraw everything, record the erasure, destroy their data key",
    tags: ['erasure'],
    params: Params,
    body: Body_,
    responses: { 200: Response_ },
    examples: [{ erasureId: 'erase-1' }, { erasureId: 'erase-2', reason: 'request by post, ticket 8841, identity checked' }],
  })
  async erase(@Param() rawParams: unknown, @Body() rawBody: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { subjectId } = parseInput(Params, rawParams, 'params');
    const body = parseInput(Body_, rawBody, 'body');
    ensureOwnSubject(actor, subjectId);
    if (actor.role === 'operator' && !body.reason)
      throw new ProblemException('VALIDATION_FAILED', 'an operator erasing for a subject must give a reason', {
        errors: [{ path: 'body.reason', code: 'required', message: 'say why, and on what authority' }],
      });
    const now = new Date().toISOString();
    const outcome = await this.consents.erase(
      { type: 'EraseSubject', subjectId, erasureId: body.erasureId, requestedBy: actor.role === 'subject' ? 'subject' : 'operator', now },
      appendContext(actor, request, now),
    );
    // Only once the erasure is on record: destroy the key (idempotent). Decoded events with
    // personal data are never cached (EventStore.decode), so nothing clear outlives the key.
    await this.keys.erase(subjectId, now);
    return {
      subjectId,
      erasureId: body.erasureId,
      alreadyErased: outcome.alreadyErased,
      withdrawnConsents: outcome.withdrawn,
      notifiedRecipients: outcome.notified,
      keyDestroyed: true as const,
      position: outcome.position?.toString() ?? null,
      retained: RETAINED,
    };
  }
}
