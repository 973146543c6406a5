import { Global, Module } from '@nestjs/common';
import { AccessAudit } from './access-audit.service';
import { AccessLogController } from './access-log.controller';

/** Audited reads: global so every feature can record an access with `AccessAudit.record`. */
@Global()
@Module({ providers: [AccessAudit], controllers: [AccessLogController], exports: [AccessAudit] })
export class AccessLogModule {}
