import { Module } from '@nestjs/common';
import { AuditCheckCommand, AuditCommand } from './audit/audit.command';
import { VerifyCommand } from './verify/verify.command';

/** One provider per command; more commands arrive with later issues. */
@Module({ providers: [VerifyCommand, AuditCommand, AuditCheckCommand] })
export class CliModule {}
