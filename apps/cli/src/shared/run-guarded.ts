import { EXIT_USAGE, UsageError } from '../cli-exit';

/**
 * Runs a command body and sets the process exit code from its result. A UsageError (bad flag
 * value, unreadable file, missing store) is reported on stderr with exit 2; anything else is a
 * bug or an outage and reaches main's service error handler (also exit 2, with the message).
 */
export const runGuarded = async (body: () => Promise<number>): Promise<void> => {
  try {
    process.exitCode = await body();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  }
};

/** Writes `value` as pretty JSON; bigints become decimal strings (the wire format for money and positions). */
export const printJson = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
};
