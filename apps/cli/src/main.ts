#!/usr/bin/env node
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';
import { onCommanderExit } from './commander-setup';

/**
 * `attest` — the operator's and the regulator's command line. Exit codes: 0 verified / healthy,
 * 1 a verification or check failed, 2 the command could not run (bad input, missing file).
 */
const main = async () => {
  await CommandFactory.run(CliModule, {
    logger: ['error'],
    errorHandler: onCommanderExit,
    serviceErrorHandler: (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  });
};

void main();
