import { writeFileSync } from 'node:fs';
import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { verifyBundle } from '@attest/audit/verify';
import { createTokenService } from '../../../api/src/auth/auth.module';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../cli-exit';
import { CommonFlags, loadCliConfig } from '../shared/cli-config';
import { printJson, runGuarded } from '../shared/run-guarded';
import { formatReport } from '../verify/verify.command';

interface ExportFlags extends CommonFlags {
  reason?: string;
  out?: string;
  url?: string;
  token?: string;
  as?: string;
  verify?: boolean;
}

/** Generous: a bundle holds up to BUNDLE_EVENTS_MAX proven events, and the API may sign a checkpoint first. */
const EXPORT_TIMEOUT_MS = 60_000;

/**
 * `attest bundle export <subjectId> --reason …`: asks the running API for the bundle, over HTTP.
 *
 * Why HTTP and not BundleService in a local application context: the export is an audited act
 * (an AuditBundleExported event and an entry in the subject's access log, both written by the
 * API's controller), it needs the Merkle log read model caught up and a checkpoint signed by the
 * log's one signer, and on the embedded store a second process running projections beside the
 * API would race it for the read models. Going through the API keeps one path, one signer and
 * one audit trail; the CLI only mints the compliance token (or takes `--token`).
 */
@SubCommand({ name: 'export', arguments: '<subjectId>', description: "Export a subject's audit bundle from the running API (recorded, with the reason)" })
export class BundleExportCommand extends CommandRunner {
  async run([subjectId]: string[], flags: ExportFlags): Promise<void> {
    await runGuarded(async () => {
      if (subjectId === undefined) throw new UsageError('usage: attest bundle export <subjectId> --reason <text> [--out <file>]');
      const reason = flags.reason?.trim() ?? '';
      if (reason.length < 3) throw new UsageError('--reason must say why the trail is exported (at least 3 characters)');
      const base = flags.url ?? process.env['ATTEST_URL'] ?? 'http://127.0.0.1:3000';
      const token = flags.token ?? (await createTokenService(loadCliConfig(flags)).mint({ role: 'compliance', id: flags.as ?? 'cli' }));
      let response: Response;
      try {
        response = await fetch(new URL(`/v1/audit/subjects/${encodeURIComponent(subjectId)}/bundle`, base), {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason }),
          signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
        });
      } catch (error) {
        throw new UsageError(`cannot reach the API at ${base}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const text = await response.text();
      if (response.status !== 200) throw new UsageError(`the API refused the export (${response.status}): ${text}`);
      const bundle = JSON.parse(text) as unknown;
      const report = flags.verify ? verifyBundle(bundle) : null;
      if (flags.out) {
        writeFileSync(flags.out, text.endsWith('\n') ? text : `${text}\n`);
        if (flags.json) printJson({ subjectId, out: flags.out, bytes: Buffer.byteLength(text), verified: report?.ok ?? null });
        else process.stdout.write(`bundle for ${subjectId} written to ${flags.out}\n${report ? formatReport(report) : ''}`);
      } else {
        process.stdout.write(`${text}\n`);
        if (report) process.stderr.write(formatReport(report));
      }
      return report && !report.ok ? EXIT_FAILED : EXIT_OK;
    });
  }

  @Option({ flags: '--reason <text>', description: 'why the trail is exported (recorded with the export)', required: true })
  parseReason(value: string): string {
    return value;
  }

  @Option({ flags: '--out <file>', description: 'write the bundle to this file (default: stdout)' })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '--url <url>', description: 'the API base URL (default: ATTEST_URL or http://127.0.0.1:3000)' })
  parseUrl(value: string): string {
    return value;
  }

  @Option({ flags: '--token <jwt>', description: 'a compliance bearer token (default: one minted with ATTEST_JWT_KEYS or the dev key)' })
  parseToken(value: string): string {
    return value;
  }

  @Option({ flags: '--as <id>', description: 'the compliance officer id in the minted token (default: cli)' })
  parseAs(value: string): string {
    return value;
  }

  @Option({ flags: '--verify', description: 'verify the bundle after export, as `attest verify` does (exit 1 if it does not verify)' })
  parseVerify(): boolean {
    return true;
  }

  @Option({ flags: '--data-dir <dir>', description: 'the data directory holding the dev key (default: ATTEST_DATA_DIR or ./data)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'with --out: print a summary as JSON' })
  parseJson(): boolean {
    return true;
  }
}
