import { Command, CommandRunner } from 'nest-commander';
import { EXIT_USAGE } from '../cli-exit';
import { BundleExportCommand } from './bundle-export.command';

@Command({ name: 'bundle', description: 'Audit bundles (verify one offline with `attest verify`)', subCommands: [BundleExportCommand] })
export class BundleCommand extends CommandRunner {
  async run(): Promise<void> {
    process.stderr.write('usage: attest bundle export <subjectId> --reason <text> [--out <file>] (see --help)\n');
    process.exitCode = EXIT_USAGE;
  }
}
