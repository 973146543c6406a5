import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { z } from 'zod';
import { opaqueId } from '@attest/event-store';
import { BUNDLE_CONSISTENCY_PROOFS_MAX } from '@attest/audit';
import { Actor, actorLabel } from '@attest/auth';
import { Contract, parseInput } from '@attest/http';
import { AccessAudit } from '../../access-log/access-audit.service';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
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

const bundleParams = z.strictObject({ subjectId: opaqueId });

/**
 * POST, not GET: serving a bundle is recorded as an event (AuditBundleExported), so the request
 * has an effect and must never be cached or prefetched.
 */
@Controller('v1/audit/subjects')
export class ExportBundleController {
  constructor(
    private readonly bundles: BundleService,
    private readonly access: AccessAudit,
  ) {}

  @Post(':subjectId/bundle')
  @HttpCode(200)
  @Roles('compliance')
  @Contract({
    summary: "Export a subject's consent trail as an offline-verifiable audit bundle (recorded, with the reason)",
    tags: ['audit'],
    params: bundleParams,
    body: exportBody,
    responses: { 200: z.object({ format: z.string() }).passthrough() },
    errors: ['CHECKPOINT_NOT_FOUND', 'NOT_FOUND'],
    examples: [{ reason: 'regulator request 2026-114', from: '2026-01-01T00:00:00.000Z' }],
  })
  async export(@Param('subjectId') subjectId: string, @Body() body: unknown, @CurrentActor() caller: Actor, @Req() http: { id: string }) {
    const { subjectId: id } = parseInput(bundleParams, { subjectId }, 'params');
    const request = parseInput(exportBody, body ?? {}, 'body');
    const actor = actorLabel(caller);
    // The subject's own access log shows this export too (audited reads).
    await this.access.record(caller, id, 'audit-bundle', request.reason, http.id);
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
