import { KurrentDbEventStore } from '@attest/event-store';
import { eventStoreContract } from '@attest/event-store/testing/event-store.contract';

/**
 * The shared contract against a real KurrentDB (≥ 25.1), e.g. `docker compose -f
 * docker-compose.dev.yml up -d` then `KURRENTDB_URL='kurrentdb://127.0.0.1:2113?tls=false' npm test`. Streams are
 * named per test, so one server serves every run. Without KURRENTDB_URL the suite is skipped,
 * and says so.
 */
const url = process.env['KURRENTDB_URL'];

if (url) {
  eventStoreContract(`kurrentdb (${url})`, {
    create: async () => KurrentDbEventStore.connect({ connectionString: url, log: (message) => console.warn(message) }),
  });
} else {
  console.warn('KurrentDB contract suite SKIPPED: KURRENTDB_URL is not set (no KurrentDB server configured).');
  describe('event store contract: kurrentdb — SKIPPED: set KURRENTDB_URL (e.g. kurrentdb://127.0.0.1:2113?tls=false) to run it', () => {
    it.skip('needs a KurrentDB server ≥ 25.1 (none configured)', () => undefined);
  });
}
