import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { LogCheckReport } from '@attest/audit';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from '../cli-exit';
import { runAuditCheck } from './run-audit-check';
import { loadCliConfig } from '../shared/cli-config';

interface CheckFlags {
  dataDir?: string;
  json?: boolean;
}

export const formatCheck = (report: LogCheckReport): string => {
  const lines = [
    report.ok ? 'LOG INTACT' : 'LOG TAMPERED OR INCONSISTENT',
    `events read: ${report.eventsRead}; signed checkpoints checked: ${report.checkpointsChecked}`,
  ];
  for (const problem of report.problems) {
    const where = [problem.position && `position ${problem.position}`, problem.eventId && `event ${problem.eventId}`].filter(Boolean).join(', ');
    lines.push(`FAIL ${problem.code}${where ? ` (${where})` : ''}: ${problem.detail}`);
  }
  return lines.join('\n') + '\n';
};

/** `attest audit check [--data-dir <dir>]`: the store as it is now against every signed checkpoint. */
@SubCommand({ name: 'check', description: 'Recompute the Merkle tree from the event store and compare it with every signed checkpoint' })
export class AuditCheckCommand extends CommandRunner {
  async run(_args: string[], flags: CheckFlags): Promise<void> {
    try {
      const report = await runAuditCheck(loadCliConfig(flags));
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatCheck(report));
      process.exitCode = report.ok ? EXIT_OK : EXIT_FAILED;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    }
  }

  @Option({ flags: '--data-dir <dir>', description: 'the data directory (default: ATTEST_DATA_DIR or ./data)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({ name: 'audit', description: 'Audit the provable history', subCommands: [AuditCheckCommand] })
export class AuditCommand extends CommandRunner {
  async run(): Promise<void> {
    process.stderr.write('usage: attest audit check [--data-dir <dir>] [--json]\n');
    process.exitCode = EXIT_USAGE;
  }
}
