import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { Actor } from '@attest/auth';
import { z } from 'zod';
import { EventStore } from '@attest/event-store';
import { Contract, parseInput } from '@attest/http';
import { readConsentTrail } from '@attest/projections/consent-trail/consent-trail';
import { AccessAudit } from '../../access-log/access-audit.service';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { CatalogueService } from '../catalogue.service';
import { subjectParams, trailQuery } from '../consent.schemas';

/** Compliance: a subject's whole consent trail, and what was in force at any instant (by replay). */
@Controller('v1/subjects/:subjectId/consent-trail')
export class ConsentTrailController {
  constructor(
    private readonly store: EventStore,
    private readonly catalogue: CatalogueService,
    private readonly access: AccessAudit,
  ) {}

  @Get()
  @Roles('compliance')
  @Contract({
    summary: "A subject's consent trail in order, with the notice version each event cites; asOf replays to that instant",
    tags: ['consent-compliance'],
    params: subjectParams,
    query: trailQuery,
    responses: {
      200: z.object({ subjectId: z.string(), asOf: z.string().nullable(), inForce: z.array(z.object({}).loose()), events: z.array(z.object({}).loose()), notices: z.array(z.object({}).loose()) }),
    },
  })
  async trail(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor, @Req() request: { id: string }) {
    const { subjectId } = parseInput(subjectParams, rawParams, 'params');
    const { asOf, reason } = parseInput(trailQuery, rawQuery, 'query');
    // Audited read: recorded before anything is returned (the subject sees who looked, and why).
    await this.access.record(actor, subjectId, asOf ? 'consent-trail-as-of' : 'consent-trail', reason, request.id);
    return readConsentTrail(this.store, this.catalogue.snapshot, subjectId, asOf);
  }
}
