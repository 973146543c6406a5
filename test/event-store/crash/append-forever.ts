/**
 * Child process for the crash-safety test: appends forever, 16 appends in flight, each one a
 * multi-stream append (3 events over 2 streams), and prints `ack <n>` once append n resolved.
 * The parent kills it with SIGKILL at a random moment.
 */
import { EventStore, SqliteEventStore } from '@attest/event-store';
import { testRegistry } from '@attest/event-store/testing/test-events';

const path = process.argv[2];
if (!path) throw new Error('usage: append-forever <file>');
const store = new EventStore(new SqliteEventStore({ path, synchronous: 'FULL' }), testRegistry());
let next = 0;
const idFor = (n: number, k: number) => `00000000-0000-7000-8000-${(n * 10 + k).toString(16).padStart(12, '0')}`;

const worker = async () => {
  for (;;) {
    const n = next++;
    await store.appendMulti(
      [
        { streamId: `crash-a-${n % 7}`, expectedRevision: 'any', events: [{ type: 'TestCounted', data: { by: BigInt(n) }, eventId: idFor(n, 0) }] },
        {
          streamId: `crash-b-${n % 5}`,
          expectedRevision: 'any',
          events: [
            { type: 'TestCounted', data: { by: BigInt(n) }, eventId: idFor(n, 1) },
            { type: 'TestCounted', data: { by: BigInt(n) }, eventId: idFor(n, 2) },
          ],
        },
      ],
      { actor: 'system:crash-test' },
    );
    process.stdout.write(`ack ${n}\n`);
  }
};
for (let i = 0; i < 16; i++) void worker();
