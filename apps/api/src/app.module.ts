import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import { AttestConfig } from '@attest/config';
import { AuditModule } from './audit/audit.module';
import { HealthController } from './health/health.controller';
import { InfrastructureModule } from './infrastructure/infrastructure.module';

/** The API: infrastructure, then one module per feature (vertical slices). */
@Module({})
export class AppModule {
  static forRoot(config: AttestConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // The correlation id was set on the raw request by Fastify (see bootstrap.ts).
            genReqId: (request) => (request as { id?: string }).id ?? 'unknown',
            autoLogging: config.logLevel === 'debug' || config.logLevel === 'trace',
            redact: ['req.headers.authorization', 'req.headers.cookie'],
          },
        }),
        CqrsModule.forRoot(),
        InfrastructureModule.forRoot(config),
        AuditModule,
      ],
      controllers: [HealthController],
    };
  }
}
