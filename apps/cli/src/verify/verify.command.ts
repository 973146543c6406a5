import { Command, CommandRunner, Option } from 'nest-commander';
import { BundleReport, verifyBundle, VerifyOptions } from '@attest/audit/verify';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from '../cli-exit';
import { readCheckpoint, readJson, readKeys } from './read-inputs';

interface VerifyFlags {
  consistencyFrom?: string;
  trustedKeys?: string;
  json?: boolean;
}

export const formatReport = (report: BundleReport): string => {
  const lines: string[] = [];
  const cp = report.checkpoint;
  lines.push(report.ok ? 'VERIFIED' : 'NOT VERIFIED');
  if (report.bundleId) lines.push(`bundle ${report.bundleId} for subject ${report.subjectId}`);
  if (cp) lines.push(`checkpoint: ${cp.origin}, ${cp.treeSize} leaves, ${cp.timestamp}, key ${cp.keyId}`);
  lines.push(`events proven: ${report.eventsVerified}; notices proven: ${report.noticesVerified}; notice citations matched: ${report.citationsVerified}`);
  if (report.consistencyVerified) lines.push(`consistent with the kept checkpoint of ${report.consistencyVerified.fromTreeSize} leaves`);
  for (const failure of report.failures) lines.push(`FAIL ${failure.scope}: ${failure.code} — ${failure.detail}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n') + '\n';
};

/** `attest verify <bundle.json>`: offline, node:crypto and @attest/merkle only. */
@Command({
  name: 'verify',
  arguments: '<bundle>',
  description: 'Verify an audit bundle offline: checkpoint signature, every inclusion proof, notice citations, optional consistency',
})
export class VerifyCommand extends CommandRunner {
  async run([path]: string[], flags: VerifyFlags): Promise<void> {
    try {
      if (!path) throw new UsageError('usage: attest verify <bundle.json> [--consistency-from <checkpoint.json>] [--trusted-keys <keys.json>] [--json]');
      const bundle = readJson(path, 'bundle');
      const options: VerifyOptions = {
        ...(flags.consistencyFrom ? { consistencyFrom: readCheckpoint(flags.consistencyFrom) } : {}),
        ...(flags.trustedKeys ? { trustedKeys: readKeys(flags.trustedKeys) } : {}),
      };
      const report = verifyBundle(bundle, options);
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      process.exitCode = report.ok ? EXIT_OK : EXIT_FAILED;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    }
  }

  @Option({ flags: '--consistency-from <checkpoint>', description: 'a checkpoint you kept (JSON): prove the log extends it' })
  parseConsistencyFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--trusted-keys <keys>', description: 'public keys published by the log operator (JSON); default: the keys in the bundle' })
  parseTrustedKeys(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
