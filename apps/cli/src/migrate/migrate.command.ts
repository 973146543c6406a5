import { Command, CommandRunner, Option } from 'nest-commander';
import { EventStore } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { EXIT_OK } from '../cli-exit';
import { CommonFlags, loadCliConfig } from '../shared/cli-config';
import { withAppContext } from '../shared/app-context';
import { printJson, runGuarded } from '../shared/run-guarded';

/**
 * `attest migrate`: brings the configured store's schemas up to date without applying any event.
 * Opening the event store applies its migrations (SQLite creates its tables, PostgreSQL runs its
 * numbered migrations under an advisory lock, KurrentDB has none); the read-model store gets the
 * checkpoint table and every projection's tables; the subject key store gets its table (in
 * PostgreSQL, numbered migrations in schema `attest_keys`). Safe to run again, and alongside a running API.
 */
@Command({ name: 'migrate', description: 'Apply event-store and read-model migrations for the configured store (no event is applied)' })
export class MigrateCommand extends CommandRunner {
  async run(_args: string[], flags: CommonFlags): Promise<void> {
    await runGuarded(async () => {
      const config = loadCliConfig(flags);
      const result = await withAppContext(config, 'external', async (app) => {
        const projections = await app.get(ProjectionRunner).migrate();
        const headPosition = await app.get(EventStore).headPosition();
        // The key store applied its migrations (PostgreSQL: schema attest_keys) when the context opened it.
        return { store: config.store, readModels: config.readModels, keyStore: config.keyStore, headPosition, projections };
      });
      if (flags.json) printJson(result);
      else {
        process.stdout.write(`event store (${result.store}): migrated, head position ${result.headPosition}\n`);
        process.stdout.write(`subject key store (${result.keyStore}): migrated\n`);
        process.stdout.write(`read models (${result.readModels}):\n`);
        for (const p of result.projections) process.stdout.write(`  ${p.name.padEnd(24)} v${p.version}  ${describe(p.action)}\n`);
      }
      return EXIT_OK;
    });
  }

  @Option({ flags: '--data-dir <dir>', description: 'the data directory (default: ATTEST_DATA_DIR or ./data)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

const describe = (action: 'current' | 'created' | 'reset'): string =>
  action === 'current' ? 'up to date' : action === 'created' ? 'created (empty, fills on next start)' : 'version changed: reset, replays on next start';
