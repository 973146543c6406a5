import { AttestConfig, ConfigError, loadConfig } from '@attest/config';
import { UsageError } from '../cli-exit';

export interface CommonFlags {
  dataDir?: string;
  json?: boolean;
}

/**
 * The same configuration the API and the projector read (environment variables), with
 * `--data-dir` taking precedence over ATTEST_DATA_DIR. Logging is silent unless LOG_LEVEL is set:
 * pino writes to stdout, and a command's stdout belongs to its output (`--json` must stay parseable).
 * A configuration error is a usage error (exit 2), not a crash.
 */
export const loadCliConfig = (flags: Pick<CommonFlags, 'dataDir'>, env: NodeJS.ProcessEnv = process.env): AttestConfig => {
  try {
    return loadConfig({ LOG_LEVEL: 'silent', ...env, ...(flags.dataDir ? { ATTEST_DATA_DIR: flags.dataDir } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
};
