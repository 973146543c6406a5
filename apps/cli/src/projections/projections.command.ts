import { Command, CommandRunner } from 'nest-commander';
import { EXIT_USAGE } from '../cli-exit';
import { ProjectionsRebuildCommand } from './projections-rebuild.command';
import { ProjectionsStatusCommand } from './projections-status.command';

@Command({ name: 'projections', description: 'Inspect and rebuild read models', subCommands: [ProjectionsStatusCommand, ProjectionsRebuildCommand] })
export class ProjectionsCommand extends CommandRunner {
  async run(): Promise<void> {
    process.stderr.write('usage: attest projections status [--max-lag <events>] | attest projections rebuild <name> | --all  (see --help)\n');
    process.exitCode = EXIT_USAGE;
  }
}
