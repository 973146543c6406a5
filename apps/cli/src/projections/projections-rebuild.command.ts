import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { EventStore } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { EXIT_OK, UsageError } from '../cli-exit';
import { CommonFlags, loadCliConfig } from '../shared/cli-config';
import { requireExistingStore, withAppContext } from '../shared/app-context';
import { printJson, runGuarded } from '../shared/run-guarded';
import { RebuildResult, trackRebuild } from './rebuild-progress';

interface RebuildFlags extends CommonFlags {
  all?: boolean;
}

/**
 * `attest projections rebuild <name> | --all`: drops a read model and replays the whole log into
 * it, with the projector's own runner (AppModule, projections inline). Stop the projector (or,
 * on the embedded store, the API) first: two processes feeding one read model would race.
 */
@SubCommand({ name: 'rebuild', arguments: '[name]', description: 'Drop a projection\'s read model and replay the log into it (one name, or --all)' })
export class ProjectionsRebuildCommand extends CommandRunner {
  async run([name]: string[], flags: RebuildFlags): Promise<void> {
    await runGuarded(async () => {
      if ((name === undefined) === !flags.all) throw new UsageError('usage: attest projections rebuild <name> | --all');
      const config = loadCliConfig(flags);
      requireExistingStore(config);
      const results = await withAppContext(config, 'inline', async (app) => {
        const runner = app.get(ProjectionRunner);
        const store = app.get(EventStore);
        const names = flags.all ? runner.names : [name ?? ''];
        const unknown = names.filter((n) => !runner.names.includes(n));
        if (unknown.length > 0) throw new UsageError(`no projection named ${unknown.join(', ')}; known: ${runner.names.join(', ')}`);
        const done: RebuildResult[] = [];
        for (const projection of names) {
          // The head is read before the replay starts: later appends are live traffic, not rebuild work.
          const target = await store.headPosition();
          await runner.rebuild(projection);
          const statusOf = () => runner.status().find((s) => s.name === projection);
          const result = await trackRebuild(
            projection,
            target,
            () => statusOf()?.position ?? 0n,
            () => (statusOf()?.state === 'failed' ? (statusOf()?.error ?? 'failed') : null),
            !flags.json && process.stderr.isTTY === true,
          );
          if (!flags.json) process.stdout.write(`rebuilt ${projection}: ${result.events} events in ${(result.durationMs / 1000).toFixed(1)} s (${result.eventsPerSecond} events/s)\n`);
          done.push(result);
        }
        return done;
      });
      if (flags.json) printJson({ rebuilt: results });
      return EXIT_OK;
    });
  }

  @Option({ flags: '--all', description: 'rebuild every projection, one after the other' })
  parseAll(): boolean {
    return true;
  }

  @Option({ flags: '--data-dir <dir>', description: 'the data directory (default: ATTEST_DATA_DIR or ./data)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the results as JSON (no progress bar)' })
  parseJson(): boolean {
    return true;
  }
}
