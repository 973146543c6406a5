#!/usr/bin/env node
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

/**
 * `attest` — the operator's and the regulator's command line. Exit codes: 0 verified / healthy,
 * 1 a verification or check failed, 2 the command could not run (bad input, missing file).
 */
const main = async () => {
  await CommandFactory.run(CliModule, {
    // Otherwise commander names the program after the entry file ("Usage: main").
    cliName: 'attest',
    logger: ['error'],
    errorHandler: (error) => {
      // commander's own exits (help, version, unknown option) carry their exit code.
      const code = (error as { exitCode?: number }).exitCode;
      if (code === 0) process.exit(0);
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    },
    serviceErrorHandler: (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  });
};

void main();
