import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { AttestConfig } from '@attest/config';
import { AccessLogModule } from './access-log/access-log.module';
import { AuthModule } from './auth/auth.module';
import { MetricsModule } from './metrics/metrics.module';
import { ConsentModule } from './consent/consent.module';
import { CreditFeaturesModule } from './credit-features/credit-features.module';
import { AuditModule } from './audit/audit.module';
import { ErasureModule } from './erasure/erasure.module';
import { HealthController } from './health/health.controller';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { LedgerModule } from './ledger/ledger.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';

/** Every request is logged (pino-http's request log) at these levels only. */
const logsRequests = (config: AttestConfig) => config.logLevel === 'debug' || config.logLevel === 'trace';

/** The API: infrastructure, then one module per feature (vertical slices). */
@Module({})
export class AppModule {
  static forRoot(config: AttestConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          // No per-request logger middleware unless requests are logged (debug, trace): it ran
          // every request through Nest's Express-style middleware layer (middie) and an
          // AsyncLocalStorage, whose promise hooks (Node 20) then fire on every promise in the
          // process. Request-scoped log lines carry the request id themselves
          // (ProblemDetailsFilter). See docs/adr/0019.
          ...(logsRequests(config) ? {} : { forRoutes: [] }),
          pinoHttp: {
            level: config.logLevel,
            // The correlation id was set on the raw request by Fastify (see bootstrap.ts).
            genReqId: (request) => (request as { id?: string }).id ?? 'unknown',
            autoLogging: logsRequests(config),
            redact: ['req.headers.authorization', 'req.headers.cookie'],
          },
        }),
        DiscoveryModule,
        TerminusModule.forRoot({ logger: false }),
        CqrsModule.forRoot(),
        InfrastructureModule.forRoot(config),
        AuthModule.forRoot(config),
        AccessLogModule,
        MetricsModule,
        IdempotencyModule.forRoot(config),
        LedgerModule,
        ReconciliationModule,
        ConsentModule,
        ErasureModule,
        CreditFeaturesModule,
        AuditModule,
      ],
      controllers: [HealthController],
    };
  }
}
