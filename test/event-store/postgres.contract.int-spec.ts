import { EventStoreAdapter, PostgresEventStore } from '@attest/event-store';
import { eventStoreContract } from '@attest/event-store/testing/event-store.contract';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/postgres';

// One throwaway database per run of this file; one fresh schema (an empty store) per test.
let database: ThrowawayDatabase;
let counter = 0;
beforeAll(async () => {
  database = await createThrowawayDatabase('contract');
});
afterAll(async () => {
  await database.drop();
});

eventStoreContract('postgres (node-postgres, serialised writers, group commit)', {
  create: async (): Promise<EventStoreAdapter> =>
    PostgresEventStore.open({ connectionString: database.url, schema: `contract_${counter++}`, pollIntervalMs: 50 }),
});
