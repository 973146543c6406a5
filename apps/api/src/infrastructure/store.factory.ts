import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AttestConfig } from '@attest/config';
import { generateKek, parseKeks, PostgresSubjectKeyStore, SqliteSubjectKeyStore, SubjectKeyStore } from '@attest/crypto-shredding';
import { CHECKPOINTED_ELSEWHERE, EventStoreAdapter, KurrentDbEventStore, PostgresEventStore, SqliteEventStore, WalCheckpointer, WalCheckpointing } from '@attest/event-store';
import { PostgresReadModelStore, ReadModelStore, SqliteReadModelStore } from '@attest/projection-runner';

/**
 * The one place that turns `ATTEST_STORE` into an adapter; everything above works on the port.
 * Config validation (libs/config) has already checked that the chosen store's URL is present
 * and well-formed; `required` only narrows the type.
 */
const required = (value: string | undefined, variable: string): string => {
  if (value === undefined) throw new Error(`${variable} is required for ATTEST_STORE`);
  return value;
};

/**
 * WAL checkpoints of the API's SQLite files run on one worker thread, never inside a commit on
 * the event loop (ADR 0018). Inside the projection worker thread the API thread's checkpointer
 * already covers the same files: the worker's connections leave the copying to it.
 */
export const checkpointing = (config: AttestConfig): { checkpointer: WalCheckpointing } => ({ checkpointer: config.projectionWorker ? CHECKPOINTED_ELSEWHERE : WalCheckpointer.shared() });

export const createEventStoreAdapter = async (config: AttestConfig): Promise<EventStoreAdapter> => {
  switch (config.store) {
    case 'sqlite':
      // The projection worker reads the log the API thread writes, up to what that thread has made durable.
      if (config.projectionWorker) return new SqliteEventStore({ path: config.sqlite.eventsPath, synchronous: config.sqlite.synchronous, follower: config.projectionWorker });
      return new SqliteEventStore({ path: config.sqlite.eventsPath, synchronous: config.sqlite.synchronous, checkpointer: WalCheckpointer.shared() });
    case 'postgres':
      // Applies pending migrations before the API accepts a request.
      return PostgresEventStore.open({ connectionString: required(config.postgresUrl, 'ATTEST_POSTGRES_URL') });
    case 'kurrentdb':
      return KurrentDbEventStore.connect({ connectionString: required(config.kurrentdbUrl, 'ATTEST_KURRENTDB_URL') });
    default: {
      const unknown: never = config.store;
      throw new Error(`unknown store ${String(unknown)}`);
    }
  }
};

/** Read models (and projection checkpoints) in SQLite or PostgreSQL, per ATTEST_READ_MODELS. */
export const createReadModelStore = async (config: AttestConfig): Promise<ReadModelStore> => {
  switch (config.readModels) {
    case 'sqlite':
      return new SqliteReadModelStore(config.sqlite.readModelsPath, checkpointing(config));
    case 'postgres':
      return new PostgresReadModelStore({ connectionString: required(config.postgresUrl, 'ATTEST_POSTGRES_URL') });
    default: {
      const unknown: never = config.readModels;
      throw new Error(`unknown read-model store ${String(unknown)}`);
    }
  }
};

/**
 * Key-encryption keys: ATTEST_KEKS, or in dev mode a key generated once into the data directory
 * (production refuses to start without ATTEST_KEKS, see libs/config).
 */
export const resolveKeks = (config: AttestConfig): string => {
  if (config.keks) return config.keks;
  if (config.mode === 'production') throw new Error('ATTEST_KEKS is required in production mode');
  const path = join(config.dataDir, 'keys', 'dev-keks');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true });
  const value = generateKek(`dev-${Date.now().toString(36)}`);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
};

/**
 * Per-subject data keys, apart from the events so that destroying one erases for good: in
 * PostgreSQL (schema `attest_keys`) when every process of the deployment shares that database,
 * else in their own SQLite file (docs/adr/0010-crypto-shredding.md).
 */
export const createSubjectKeyStore = async (config: AttestConfig): Promise<SubjectKeyStore> => {
  const keks = parseKeks(resolveKeks(config));
  switch (config.keyStore) {
    case 'sqlite':
      return new SqliteSubjectKeyStore(config.sqlite.keysPath, keks);
    case 'postgres':
      // Applies pending migrations before the API accepts a request.
      return PostgresSubjectKeyStore.open({ connectionString: required(config.postgresUrl, 'ATTEST_POSTGRES_URL'), keks });
    default: {
      const unknown: never = config.keyStore;
      throw new Error(`unknown key store ${String(unknown)}`);
    }
  }
};
