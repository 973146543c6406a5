import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@attest/event-store';
import { eventStoreContract } from '@attest/event-store/testing/event-store.contract';

const directory = mkdtempSync(join(tmpdir(), 'attest-contract-'));
let counter = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// A real file (WAL, synchronous=FULL), not ':memory:', so the suite covers what production runs.
eventStoreContract('sqlite (file, WAL, synchronous=FULL)', {
  create: async () => new SqliteEventStore({ path: join(directory, `events-${counter++}.sqlite`), pollIntervalMs: 50 }),
});
