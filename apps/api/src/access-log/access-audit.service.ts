import { Injectable, OnModuleInit } from '@nestjs/common';
import { Actor, actorLabel } from '@attest/auth';
import { EventRegistry, EventStore } from '@attest/event-store';
import { ACCESS_LOG_EVENTS, AccessResource, accessStreamId } from '@attest/access-log';
import { ProblemException } from '@attest/http';
import { ProjectionRunner } from '@attest/projection-runner';
import { accessLogProjection } from '@attest/projections/access-log/access-log.projection';

/**
 * Records audited reads. Call `record` BEFORE returning a subject's data to anyone but the
 * subject: if the record cannot be written, the read fails (no unaudited read).
 */
@Injectable()
export class AccessAudit implements OnModuleInit {
  constructor(
    private readonly store: EventStore,
    private readonly registry: EventRegistry,
    private readonly runner: ProjectionRunner,
  ) {}

  onModuleInit(): void {
    this.registry.register(...ACCESS_LOG_EVENTS);
    this.runner.register(accessLogProjection);
  }

  /** Compliance must say why; a reason is optional for other roles. Subjects reading their own data are not logged. */
  async record(actor: Actor, subjectId: string, resource: AccessResource, reason: string | undefined, requestId: string): Promise<void> {
    if (actor.role === 'subject') return;
    if (actor.role === 'compliance' && (!reason || reason.trim().length < 3))
      throw new ProblemException('VALIDATION_FAILED', 'compliance reads need a reason', {
        errors: [{ path: 'query.reason', code: 'required', message: 'say why you read this subject’s data (at least 3 characters)' }],
      });
    const now = new Date().toISOString();
    await this.store.append(
      accessStreamId(subjectId),
      [
        {
          type: 'SubjectDataAccessed',
          data: {
            subjectId,
            accessorRole: actor.role,
            accessorId: actor.role === 'partner' && actor.recipientId ? actor.recipientId : actor.id,
            resource,
            reason: reason?.trim() ?? null,
            accessedAt: now,
            requestId,
          },
        },
      ],
      { expectedRevision: 'any', actor: actorLabel(actor), recordedAt: now, correlationId: requestId },
    );
  }
}
