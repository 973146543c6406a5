import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AttestConfig } from '@attest/config';
import { generateKey, parseKeys, TokenService } from '@attest/auth';
import { AuthGuard } from './auth.guard';

/**
 * Signing keys come from ATTEST_JWT_KEYS. In dev mode only, when none is set, a key is generated
 * once and kept in the data directory (never a built-in secret); production refuses to start
 * without keys (see libs/config).
 */
export const resolveSigningKeys = (config: AttestConfig): string => {
  if (config.auth.keys) return config.auth.keys;
  if (config.mode === 'production') throw new Error('ATTEST_JWT_KEYS is required in production mode');
  const path = join(config.dataDir, 'dev-jwt-keys');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const { encoded } = generateKey();
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(path, `${encoded}\n`, { mode: 0o600 });
  new Logger('Auth').warn(`dev mode: generated a token signing key in ${path}; set ATTEST_JWT_KEYS outside dev`);
  return encoded;
};

export const createTokenService = (config: AttestConfig): TokenService =>
  new TokenService({
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    keys: parseKeys(resolveSigningKeys(config)),
    ...(config.auth.activeKid ? { activeKid: config.auth.activeKid } : {}),
  });

@Global()
@Module({})
export class AuthModule {
  static forRoot(config: AttestConfig): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: TokenService, useFactory: () => createTokenService(config) },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenService],
    };
  }
}
