import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { Actor } from '@attest/auth';
import { opaqueId } from '@attest/event-store';
import { Contract, parseInput } from '@attest/http';
import { ReadModelStore } from '@attest/projection-runner';
import { ACCESS_LOG_PAGE_MAX, accessLogPage } from '@attest/projections/access-log/access-log.projection';
import { CurrentActor, Roles } from '../auth/auth.decorators';
import { ensureOwnSubject } from '../auth/scoping';
import { READ_MODEL_STORE } from '../infrastructure/infrastructure.module';

const Params = z.strictObject({ subjectId: opaqueId });
const Query_ = z.strictObject({
  limit: z.coerce.number().int().min(1).max(ACCESS_LOG_PAGE_MAX).default(50),
  cursor: z.string().regex(/^\d{1,19}$/).optional(),
});
const Entry = z.object({
  position: z.string(),
  accessorRole: z.string(),
  accessorId: z.string(),
  resource: z.string(),
  reason: z.string().nullable(),
  accessedAt: z.string(),
});

@Controller('v1/subjects/:subjectId/access-log')
export class AccessLogController {
  constructor(@Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore) {}

  @Get()
  @Roles('subject', 'compliance')
  @Contract({
    summary: "Who read this subject's data (compliance, finance, operators), newest first",
    tags: ['access-log'],
    params: Params,
    query: Query_,
    responses: { 200: z.object({ entries: z.array(Entry), nextCursor: z.string().nullable() }) },
    errors: ['FORBIDDEN'],
  })
  async list(@Param() rawParams: unknown, @Query() rawQuery: unknown, @CurrentActor() actor: Actor) {
    const { subjectId } = parseInput(Params, rawParams, 'params');
    const query = parseInput(Query_, rawQuery, 'query');
    ensureOwnSubject(actor, subjectId);
    return accessLogPage(this.readModels.query, subjectId, { limit: query.limit, ...(query.cursor ? { before: BigInt(query.cursor) } : {}) });
  }
}
