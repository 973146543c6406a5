import { Module } from '@nestjs/common';
import { AuditCheckCommand, AuditCommand } from './audit/audit.command';
import { ReconcileCommand } from './reconcile/reconcile.command';
import { VerifyCommand } from './verify/verify.command';

/** One provider per command; more commands arrive with later issues. */
@Module({ providers: [VerifyCommand, AuditCommand, AuditCheckCommand, ReconcileCommand] })
export class CliModule {}
