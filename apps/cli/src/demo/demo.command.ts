import { Command, CommandRunner, Option } from 'nest-commander';
import { EXIT_FAILED, EXIT_OK } from '../cli-exit';
import { printJson, runGuarded } from '../shared/run-guarded';
import { narrateStep } from './narrate';
import { runDemo } from './run-demo';

interface DemoFlags {
  json?: boolean;
  keep?: boolean;
}

/**
 * `attest demo`: the whole story on a fresh embedded store, in plain words. Exit 0 when every
 * step had the outcome the story expects (refusals included), 1 otherwise.
 */
@Command({ name: 'demo', description: 'Run the whole story (money, consent, shares, withdrawal, proofs, tampering) on a fresh temporary store' })
export class DemoCommand extends CommandRunner {
  async run(_args: string[], flags: DemoFlags): Promise<void> {
    await runGuarded(async () => {
      if (!flags.json) process.stdout.write('Attest demo: the whole story on a fresh embedded store, over real HTTP to the real API.\n');
      const report = await runDemo({
        keep: flags.keep === true,
        ...(flags.json ? {} : { onStep: (step, index) => process.stdout.write(narrateStep(step, index)) }),
      });
      if (flags.json) printJson({ ok: report.ok, dataDir: report.kept ? report.dataDir : null, steps: report.steps.map(({ id, title, ok, facts, problems }) => ({ id, title, ok, facts, problems })) });
      else {
        const failed = report.steps.filter((s) => !s.ok).length;
        process.stdout.write(failed === 0 ? `\nAll ${report.steps.length} steps had the expected outcome.\n` : `\n${failed} of ${report.steps.length} steps did not have the expected outcome.\n`);
        if (report.kept) process.stdout.write(`The store is kept in ${report.dataDir} (try: attest audit check --data-dir ${report.dataDir}).\n`);
      }
      return report.ok ? EXIT_OK : EXIT_FAILED;
    });
  }

  @Option({ flags: '--json', description: 'print the step outcomes as JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--keep', description: 'keep the temporary store afterwards (to try `attest verify` and `attest audit check` on it)' })
  parseKeep(): boolean {
    return true;
  }
}
