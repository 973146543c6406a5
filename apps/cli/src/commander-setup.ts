import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Command, CommanderError } from 'commander';
import { InjectCommander } from 'nest-commander';
import { EXIT_OK, EXIT_USAGE } from './cli-exit';

/**
 * commander's own exits (help, version, unknown option, missing argument): help is 0, any usage
 * mistake is 2, never commander's default 1 (which means "a check failed" here).
 */
export const onCommanderExit = (error: Error | CommanderError): never => {
  // commander has already written its message to stderr.
  process.exit('exitCode' in error && error.exitCode === EXIT_OK ? EXIT_OK : EXIT_USAGE);
};

/**
 * Runs after nest-commander has built the command tree (its onModuleInit) and before it parses
 * the arguments. It names the program (commander would call it after the entry file, "main") and
 * installs the exit handler on every sub-command: nest-commander sets it on the root only, after
 * the sub-commands were created, so they would not inherit it.
 */
@Injectable()
export class CommanderSetup implements OnApplicationBootstrap {
  constructor(@InjectCommander() private readonly commander: Command) {}

  onApplicationBootstrap(): void {
    this.commander.name('attest');
    const install = (command: Command) => {
      command.exitOverride(onCommanderExit);
      command.commands.forEach(install);
    };
    install(this.commander);
  }
}
