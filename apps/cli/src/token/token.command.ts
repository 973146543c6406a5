import { Command, CommandRunner } from 'nest-commander';
import { EXIT_USAGE } from '../cli-exit';
import { TokenMintCommand } from './token-mint.command';

@Command({ name: 'token', description: 'Bearer tokens for the API', subCommands: [TokenMintCommand] })
export class TokenCommand extends CommandRunner {
  async run(): Promise<void> {
    process.stderr.write('usage: attest token mint --role <role> --sub <id> [--recipient <id>] [--ttl <seconds>] (see --help)\n');
    process.exitCode = EXIT_USAGE;
  }
}
