import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { opaqueId } from '@attest/event-store';
import { BUNDLE_CONSISTENCY_PROOFS_MAX } from '@attest/audit';
import { parseInput } from '@attest/http';
import { actorFromRequest } from '../actor';
import { BundleService } from '../bundle.service';

// Instants are normalised to `toISOString()` form so that string comparison is time order.
const instant = z.iso.datetime({ offset: false }).transform((value) => new Date(value).toISOString());

const exportBody = z
  .strictObject({
    /** Why the trail is exported (recorded with the export). */
    reason: z.string().trim().min(3).max(500),
    /** Inclusive lower bound of recordedAt. */
    from: instant.optional(),
    /** Exclusive upper bound of recordedAt. */
    to: instant.optional(),
    /** Tree sizes of checkpoints the requester kept: the bundle proves the log extends each. */
    consistencyFrom: z.array(z.number().int().min(0).max(2 ** 40)).max(BUNDLE_CONSISTENCY_PROOFS_MAX).optional(),
  })
  .refine((b) => !b.from || !b.to || b.from < b.to, { message: 'from must be before to', path: ['to'] });

/**
 * POST, not GET: serving a bundle is recorded as an event (AuditBundleExported), so the request
 * has an effect and must never be cached or prefetched.
 */
@Controller('v1/audit/subjects')
export class ExportBundleController {
  constructor(private readonly bundles: BundleService) {}

  @Post(':subjectId/bundle')
  @HttpCode(200)
  async export(@Param('subjectId') subjectId: string, @Body() body: unknown, @Headers() headers: Record<string, string | string[] | undefined>) {
    const actor = actorFromRequest(headers);
    const { subjectId: id } = parseInput(z.strictObject({ subjectId: opaqueId }), { subjectId }, 'params');
    const request = parseInput(exportBody, body ?? {}, 'body');
    return this.bundles.export({
      subjectId: id,
      reason: request.reason,
      from: request.from ?? null,
      to: request.to ?? null,
      consistencyFrom: request.consistencyFrom ?? [],
      actor,
    });
  }
}
