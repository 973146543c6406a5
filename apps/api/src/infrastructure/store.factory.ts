import { AttestConfig } from '@attest/config';
import { EventStoreAdapter, SqliteEventStore } from '@attest/event-store';
import { ReadModelStore, SqliteReadModelStore } from '@attest/projection-runner';

/**
 * The one place that turns `ATTEST_STORE` into an adapter. Server stores (PostgreSQL,
 * KurrentDB) plug in here; everything above works on the port.
 */
export const createEventStoreAdapter = async (config: AttestConfig): Promise<EventStoreAdapter> => {
  switch (config.store) {
    case 'sqlite':
      return new SqliteEventStore({ path: config.sqlite.eventsPath, synchronous: config.sqlite.synchronous });
    case 'postgres':
    case 'kurrentdb':
      throw new Error(`ATTEST_STORE=${config.store} is not available in this build yet`);
    default: {
      const unknown: never = config.store;
      throw new Error(`unknown store ${String(unknown)}`);
    }
  }
};

export const createReadModelStore = async (config: AttestConfig): Promise<ReadModelStore> => {
  switch (config.readModels) {
    case 'sqlite':
      return new SqliteReadModelStore(config.sqlite.readModelsPath);
    case 'postgres':
      throw new Error('PostgreSQL read models are not available in this build yet');
    default: {
      const unknown: never = config.readModels;
      throw new Error(`unknown read-model store ${String(unknown)}`);
    }
  }
};
