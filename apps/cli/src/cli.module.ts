import { Module } from '@nestjs/common';
import { AuditCheckCommand, AuditCommand } from './audit/audit.command';
import { ReconcileCommand } from './reconcile/reconcile.command';
import { CommanderSetup } from './commander-setup';
import { BundleCommand } from './bundle/bundle.command';
import { BundleExportCommand } from './bundle/bundle-export.command';
import { DemoCommand } from './demo/demo.command';
import { MigrateCommand } from './migrate/migrate.command';
import { ProjectionsCommand } from './projections/projections.command';
import { ProjectionsRebuildCommand } from './projections/projections-rebuild.command';
import { ProjectionsStatusCommand } from './projections/projections-status.command';
import { TokenCommand } from './token/token.command';
import { TokenMintCommand } from './token/token-mint.command';
import { VerifyCommand } from './verify/verify.command';

/** One provider per command and sub-command (nest-commander discovers them here), and the program's setup. */
@Module({
  providers: [
    CommanderSetup,
    VerifyCommand,
    AuditCommand,
    AuditCheckCommand,
    MigrateCommand,
    ProjectionsCommand,
    ProjectionsStatusCommand,
    ProjectionsRebuildCommand,
    TokenCommand,
    TokenMintCommand,
    BundleCommand,
    BundleExportCommand,
    DemoCommand,
    ReconcileCommand,
  ],
})
export class CliModule {}
