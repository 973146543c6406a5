import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Option, SubCommand, CommandRunner } from 'nest-commander';
import { ROLES, Role, TOKEN_TTL_SECONDS_MAX } from '@attest/auth';
import { createTokenService } from '../../../api/src/auth/auth.module';
import { EXIT_OK, UsageError } from '../cli-exit';
import { CommonFlags, loadCliConfig } from '../shared/cli-config';
import { printJson, runGuarded } from '../shared/run-guarded';

interface MintFlags extends CommonFlags {
  role?: string;
  sub?: string;
  recipient?: string;
  ttl?: string;
}

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * `attest token mint`: a bearer token the API accepts, signed with the same keys it verifies
 * with (ATTEST_JWT_KEYS, or in dev mode the key kept in the data directory; see
 * apps/api/src/auth/auth.module.ts). Prints the bare token so that `$(attest token mint …)` works.
 */
@SubCommand({ name: 'mint', description: 'Mint a bearer token for the API (ATTEST_JWT_KEYS, or the dev key in the data directory)' })
export class TokenMintCommand extends CommandRunner {
  async run(_args: string[], flags: MintFlags): Promise<void> {
    await runGuarded(async () => {
      const { role, sub } = flags;
      if (role === undefined || !isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      if (sub === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(sub)) throw new UsageError('--sub must be an id of 1 to 64 letters, digits, _ or -');
      // The API refuses a partner token without a recipient and any other token with one.
      if (role === 'partner' && flags.recipient === undefined) throw new UsageError('a partner token needs --recipient <recipientId>');
      if (role !== 'partner' && flags.recipient !== undefined) throw new UsageError('only a partner token names a --recipient');
      const ttlSeconds = parseTtl(flags.ttl);
      const tokens = createTokenService(loadCliConfig(flags));
      const token = await tokens.mint({ role, id: sub, ...(flags.recipient !== undefined ? { recipientId: flags.recipient } : {}) }, { ttlSeconds });
      if (flags.json) {
        const claims = decodeJwt(token);
        printJson({ token, kid: decodeProtectedHeader(token).kid, role, sub, recipientId: flags.recipient ?? null, expiresAt: new Date((claims.exp ?? 0) * 1000).toISOString() });
      } else process.stdout.write(`${token}\n`);
      return EXIT_OK;
    });
  }

  @Option({ flags: '--role <role>', description: `the caller's role: ${ROLES.join(', ')}`, required: true })
  parseRole(value: string): string {
    return value;
  }

  @Option({ flags: '--sub <id>', description: 'the caller id (for a subject: the data subject id)', required: true })
  parseSub(value: string): string {
    return value;
  }

  @Option({ flags: '--recipient <id>', description: 'for a partner: the recipient it acts for' })
  parseRecipient(value: string): string {
    return value;
  }

  @Option({ flags: '--ttl <seconds>', description: `lifetime in seconds (default 3600, at most ${TOKEN_TTL_SECONDS_MAX})` })
  parseTtl(value: string): string {
    return value;
  }

  @Option({ flags: '--data-dir <dir>', description: 'the data directory holding the dev key (default: ATTEST_DATA_DIR or ./data)' })
  parseDataDir(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the token with its claims as JSON' })
  parseJson(): boolean {
    return true;
  }
}

const parseTtl = (value: string | undefined): number => {
  if (value === undefined) return 3600;
  const seconds = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  // TokenService would silently cap a longer lifetime; an operator should hear about it instead.
  if (!(seconds >= 1 && seconds <= TOKEN_TTL_SECONDS_MAX)) throw new UsageError(`--ttl must be 1 to ${TOKEN_TTL_SECONDS_MAX} seconds, not ${value}`);
  return seconds;
};
