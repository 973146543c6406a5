import { join } from 'node:path';
import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AttestConfig } from '@attest/config';
import { checkpointing } from '../infrastructure/store.factory';
import { ProblemException } from '@attest/http';
import { IDEMPOTENCY_KEY_PATTERN, Idempotency, IdempotencyStore, SqliteIdempotencyStore } from '@attest/idempotency';

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

/**
 * The idempotency key of a command: the `Idempotency-Key` header or the body's `idempotencyKey`.
 * One is required; when both are sent they must agree.
 */
export const idempotencyKeyOf = (headers: Record<string, string | string[] | undefined>, bodyKey: string | undefined): string => {
  const header = headers['idempotency-key'];
  const headerKey = Array.isArray(header) ? header[0] : header;
  if (headerKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(headerKey))
    throw new ProblemException('VALIDATION_FAILED', 'the Idempotency-Key header is malformed', {
      errors: [{ path: 'headers.idempotency-key', code: 'invalid_format', message: 'must be 1-128 of A-Z a-z 0-9 _ . : -' }],
    });
  if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey)
    throw new ProblemException('VALIDATION_FAILED', 'the Idempotency-Key header and body.idempotencyKey differ', {
      errors: [{ path: 'body.idempotencyKey', code: 'custom', message: 'must equal the Idempotency-Key header when both are sent' }],
    });
  const key = headerKey ?? bodyKey;
  if (key === undefined)
    throw new ProblemException('VALIDATION_FAILED', 'every command needs an idempotency key', {
      errors: [{ path: 'headers.idempotency-key', code: 'invalid_type', message: 'required: an Idempotency-Key header or a body.idempotencyKey field' }],
    });
  return key;
};

/** Idempotent commands for every feature module (records in `data/idempotency.sqlite`). */
@Global()
@Module({})
export class IdempotencyModule implements OnApplicationShutdown {
  constructor(@Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore) {}

  static forRoot(config: AttestConfig): DynamicModule {
    return {
      module: IdempotencyModule,
      providers: [
        { provide: IDEMPOTENCY_STORE, useFactory: () => new SqliteIdempotencyStore(join(config.dataDir, 'idempotency.sqlite'), checkpointing(config)) },
        { provide: Idempotency, inject: [IDEMPOTENCY_STORE], useFactory: (store: IdempotencyStore) => new Idempotency(store) },
      ],
      exports: [Idempotency, IDEMPOTENCY_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
