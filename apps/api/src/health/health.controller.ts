import { Controller, Get, HttpCode } from '@nestjs/common';
import { EventStore } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { Contract, ProblemException } from '@attest/http';
import { z } from 'zod';
import { Public } from '../auth/auth.decorators';

/** Liveness and readiness. Readiness = the store answers and no projection has failed. */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
  ) {}

  @Get('live')
  @HttpCode(200)
  @Contract({ summary: 'Liveness: the process answers', tags: ['health'], responses: { 200: z.object({ status: z.literal('ok') }) } })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Contract({
    summary: 'Readiness: the store answers and no projection has failed',
    tags: ['health'],
    responses: { 200: z.object({ status: z.literal('ok'), store: z.string(), headPosition: z.string(), projections: z.array(z.object({})) }) },
    errors: ['SERVICE_UNAVAILABLE'],
  })
  async ready() {
    const head = await this.store.headPosition().catch(() => null);
    if (head === null) throw new ProblemException('SERVICE_UNAVAILABLE', 'the event store does not answer');
    const projections = this.runner.status().map((s) => ({
      name: s.name,
      version: s.version,
      state: s.state,
      position: s.position.toString(),
      lagEvents: (head - s.position).toString(),
    }));
    const failed = projections.filter((p) => p.state === 'failed');
    if (failed.length > 0) throw new ProblemException('SERVICE_UNAVAILABLE', `projection(s) failed: ${failed.map((p) => p.name).join(', ')}`);
    return { status: 'ok', store: this.store.kind, headPosition: head.toString(), projections };
  }
}
