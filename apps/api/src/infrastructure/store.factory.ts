import { AttestConfig } from '@attest/config';
import { EventStoreAdapter, KurrentDbEventStore, PostgresEventStore, SqliteEventStore } from '@attest/event-store';
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

export const createEventStoreAdapter = async (config: AttestConfig): Promise<EventStoreAdapter> => {
  switch (config.store) {
    case 'sqlite':
      return new SqliteEventStore({ path: config.sqlite.eventsPath, synchronous: config.sqlite.synchronous });
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
      return new SqliteReadModelStore(config.sqlite.readModelsPath);
    case 'postgres':
      return new PostgresReadModelStore({ connectionString: required(config.postgresUrl, 'ATTEST_POSTGRES_URL') });
    default: {
      const unknown: never = config.readModels;
      throw new Error(`unknown read-model store ${String(unknown)}`);
    }
  }
};
