import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, CommandRunner, Option } from 'nest-commander';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from '../cli-exit';
import { formatRun, RunAnswer } from './format-run';
import { uploadFile } from './upload';

interface ReconcileFlags {
  from?: string;
  to?: string;
  format?: 'csv' | 'json';
  json?: boolean;
  toleranceSeconds?: number;
  allowUnmatched?: boolean;
  apiUrl?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Files below this size finish before a bar would be worth drawing. */
const PROGRESS_BAR_BYTES_MIN = 1024 * 1024;

const formatOf = (file: string, flag: ReconcileFlags['format']): 'csv' | 'json' => {
  if (flag) return flag;
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (['.jsonl', '.ndjson', '.json'].includes(extension)) return 'json';
  throw new UsageError(`cannot tell the format of ${file} from its extension; pass --format csv or --format json`);
};

/**
 * `attest reconcile <file> --from <day> --to <day>`: uploads a settlement file to the API (the
 * run is recorded there, under the caller's finance token), prints the summary. Exit codes:
 * 0 everything matched (or --allow-unmatched), 1 unmatched items exist, 2 the command could not
 * run (missing flag, unreadable file, file refused as a whole, API unreachable or refusing).
 */
@Command({
  name: 'reconcile',
  arguments: '<file>',
  description: 'Reconcile a settlement file (CSV or JSON lines) against the ledger through the API (ATTEST_API_URL, ATTEST_TOKEN)',
})
export class ReconcileCommand extends CommandRunner {
  async run([file]: string[], flags: ReconcileFlags): Promise<void> {
    try {
      process.exitCode = await this.reconcile(file, flags);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    }
  }

  private async reconcile(file: string | undefined, flags: ReconcileFlags): Promise<number> {
    if (!file) throw new UsageError('usage: attest reconcile <file> --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|json] [--json]');
    if (!flags.from || !flags.to) throw new UsageError('--from and --to are required (YYYY-MM-DD, UTC days, both included)');
    if (!DAY.test(flags.from) || !DAY.test(flags.to)) throw new UsageError('--from and --to must be days YYYY-MM-DD');
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no file ${file}`);
    const token = process.env['ATTEST_TOKEN'];
    if (!token) throw new UsageError('set ATTEST_TOKEN to a finance bearer token');
    const format = formatOf(file, flags.format);
    const base = flags.apiUrl ?? process.env['ATTEST_API_URL'] ?? 'http://127.0.0.1:3000';
    let url: URL;
    try {
      url = new URL('/v1/reconciliation/runs', base);
    } catch {
      throw new UsageError(`not a URL: ${base}`);
    }
    url.searchParams.set('from', flags.from);
    url.searchParams.set('to', flags.to);
    if (flags.toleranceSeconds !== undefined) url.searchParams.set('toleranceSeconds', String(flags.toleranceSeconds));

    const size = statSync(file).size;
    const bar = size >= PROGRESS_BAR_BYTES_MIN && process.stderr.isTTY ? new SingleBar({ format: 'uploading |{bar}| {percentage}% {value}/{total} bytes', stream: process.stderr }) : null;
    bar?.start(size, 0);
    const answer = await uploadFile({
      url,
      token,
      file,
      contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      onProgress: (sent) => bar?.update(sent),
    }).finally(() => bar?.stop());
    if (answer.status !== 200 && answer.status !== 201) {
      const problem = answer.body as { code?: string; detail?: string; errors?: Array<{ message?: string }> } | null;
      throw new UsageError(`the API refused the file (${answer.status} ${problem?.code ?? ''}): ${problem?.detail ?? JSON.stringify(answer.body)}`);
    }
    const run = answer.body as RunAnswer;
    process.stdout.write(flags.json ? JSON.stringify(run, null, 2) + '\n' : formatRun(run));
    return (run.unmatched ?? 0) > 0 && !flags.allowUnmatched ? EXIT_FAILED : EXIT_OK;
  }

  @Option({ flags: '--from <day>', description: 'first day of the period (UTC, included)' })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--to <day>', description: 'last day of the period (UTC, included)' })
  parseTo(value: string): string {
    return value;
  }

  @Option({ flags: '--format <format>', description: 'csv or json (JSON lines); default: from the file extension' })
  parseFormat(value: string): 'csv' | 'json' {
    if (value !== 'csv' && value !== 'json') throw new UsageError('--format must be csv or json');
    return value;
  }

  @Option({ flags: '--tolerance-seconds <seconds>', description: 'largest distance between settled and recorded time of a match' })
  parseTolerance(value: string): number {
    if (!/^[0-9]{1,7}$/.test(value)) throw new UsageError('--tolerance-seconds must be a whole number of seconds');
    return Number(value);
  }

  @Option({ flags: '--allow-unmatched', description: 'exit 0 even when unmatched items exist' })
  parseAllowUnmatched(): boolean {
    return true;
  }

  @Option({ flags: '--api-url <url>', description: 'the API (default: ATTEST_API_URL or http://127.0.0.1:3000)' })
  parseApiUrl(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the run as JSON' })
  parseJson(): boolean {
    return true;
  }
}
