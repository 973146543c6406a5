import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { z } from 'zod';
import { AttestConfig } from '@attest/config';
import { EventStore } from '@attest/event-store';
import { Contract } from '@attest/http';
import { ProjectionRunner } from '@attest/projection-runner';
import { Public } from '../auth/auth.decorators';
import { ATTEST_CONFIG } from '../infrastructure/infrastructure.module';

const HealthBody = z.object({ status: z.string(), info: z.record(z.string(), z.unknown()).optional(), details: z.record(z.string(), z.unknown()).optional() });

/**
 * Liveness (the process answers) and readiness (the store answers, and every projection is
 * running and within ATTEST_READY_LAG_EVENTS_MAX events of the head), with @nestjs/terminus.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
  ) {}

  @Get('live')
  @Contract({ summary: 'Liveness: the process answers', tags: ['health'], responses: { 200: HealthBody } })
  @HealthCheck()
  live() {
    return this.health.check([async () => this.indicators.check('process').up({ pid: process.pid })]);
  }

  @Get('ready')
  @Contract({
    summary: 'Readiness: the store answers and projections are running within the allowed lag',
    tags: ['health'],
    responses: { 200: HealthBody },
    errors: ['SERVICE_UNAVAILABLE'],
  })
  @HealthCheck()
  ready() {
    // Terminus runs the indicators concurrently: each reads the head itself.
    return this.health.check([
      async () => {
        const session = this.indicators.check('eventStore');
        try {
          const head = await this.store.headPosition();
          return session.up({ kind: this.store.kind, headPosition: head.toString() });
        } catch (error) {
          return session.down({ kind: this.store.kind, message: error instanceof Error ? error.message : String(error) });
        }
      },
      async () => {
        const session = this.indicators.check('projections');
        const head = await this.store.headPosition().catch(() => 0n);
        const statuses = this.runner.status().map((s) => ({
          name: s.name,
          state: s.state,
          position: s.position.toString(),
          lagEvents: Number(head - s.position),
        }));
        const unhealthy = statuses.filter((s) => s.state !== 'running' || s.lagEvents > this.config.readyLagEventsMax);
        return unhealthy.length === 0
          ? session.up({ lagEventsMax: this.config.readyLagEventsMax, projections: statuses })
          : session.down({ lagEventsMax: this.config.readyLagEventsMax, projections: statuses });
      },
    ]);
  }
}
