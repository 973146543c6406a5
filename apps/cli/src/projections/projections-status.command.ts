import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { EventStore } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../cli-exit';
import { CommonFlags, loadCliConfig } from '../shared/cli-config';
import { requireExistingStore, withAppContext } from '../shared/app-context';
import { printJson, runGuarded } from '../shared/run-guarded';
import { formatLagTable, projectionLags } from './projection-lag';

interface StatusFlags extends CommonFlags {
  maxLag?: string;
}

/**
 * `attest projections status`: where each projection's committed checkpoint stands against the
 * log head. It only reads checkpoints (external mode), so it is safe beside a running API or
 * projector. Exit 1 when one is beyond `--max-lag` or not running: usable as a cron or CI check.
 */
@SubCommand({ name: 'status', description: 'Show each projection\'s lag behind the log head (exit 1 when any is beyond --max-lag)' })
export class ProjectionsStatusCommand extends CommandRunner {
  async run(_args: string[], flags: StatusFlags): Promise<void> {
    await runGuarded(async () => {
      const config = loadCliConfig(flags);
      requireExistingStore(config);
      const lagEventsMax = parseLagMax(flags.maxLag, config.readyLagEventsMax);
      const lags = await withAppContext(config, 'external', async (app) => {
        const headPosition = await app.get(EventStore).headPosition();
        return projectionLags(app.get(ProjectionRunner).status(), headPosition, lagEventsMax);
      });
      const healthy = lags.every((l) => l.healthy);
      if (flags.json) printJson({ healthy, lagEventsMax, projections: lags });
      else process.stdout.write(formatLagTable(lags) + (healthy ? 'all projections within the lag bound\n' : `some projections are beyond ${lagEventsMax} events or not running\n`));
      return healthy ? EXIT_OK : EXIT_FAILED;
    });
  }

  @Option({ flags: '--max-lag <events>', description: 'the most events a projection may be behind (default: ATTEST_READY_LAG_EVENTS_MAX)' })
  parseMaxLag(value: string): string {
    return value;
  }

  @Option({ flags: '--data-dir <dir>', description: 'the data directory (default: ATTEST_DATA_DIR or ./data)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the lags as JSON' })
  parseJson(): boolean {
    return true;
  }
}

const parseLagMax = (value: string | undefined, fallback: number): bigint => {
  if (value === undefined) return BigInt(fallback);
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`--max-lag must be a whole number of events, not ${value}`);
  return BigInt(value);
};
