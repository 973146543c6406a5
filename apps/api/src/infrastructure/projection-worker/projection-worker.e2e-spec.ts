import { EventStore } from '@attest/event-store';
import { PROJECTION_THREAD_YOUNG_GENERATION_MB, ProjectionRunner, ReadModelStore } from '@attest/projection-runner';
import { CREDIT_FEATURES_PROJECTION } from '@attest/projections/credit-features/credit-features.projection';
import { countContributions } from '@attest/projections/credit-features/credit-features.queries';
import { creditHelpers } from '../../credit-features/test/credit-fixture';
import { LedgerFixture, startLedgerApp } from '../../ledger/test/ledger-fixture';
import { PROJECTION_WORKER, READ_MODEL_STORE } from '../infrastructure.module';
import { ProjectionWorkerHost } from './projection-worker.host';

/**
 * ATTEST_PROJECTIONS=worker (the embedded store's default; docs/adr/0021): the projections run
 * on a worker thread, and every answer that waits for one (read-your-writes) still sees the
 * request's own writes. The rest of the e2e suite runs them inline (see test/support/test-app.ts);
 * this spec runs the flows whose answers cross the two threads. The worker is embedded-only, so
 * the PostgreSQL run of the suite has nothing to run here.
 */
const embedded = (process.env['ATTEST_TEST_STORE'] ?? 'sqlite') === 'sqlite';

(embedded ? describe : describe.skip)('projections on a worker thread', () => {
  let t: LedgerFixture;
  const { publishCatalogue, read, grant, withdraw, tip, sentCount } = creditHelpers(() => t);
  const runner = () => t.app.get(ProjectionRunner);

  beforeAll(async () => {
    // The worker compiles the module graph under ts-node here (compiled JavaScript in production).
    t = await startLedgerApp({ ATTEST_PROJECTIONS: 'worker' });
    await publishCatalogue();
    for (const user of ['w1', 'w2']) expect((await t.deposit(user, '1000.00')).status).toBe(201);
  }, 120_000);
  afterAll(() => t?.close());

  it('runs every projection on the worker, reported running and caught up by /health/ready', async () => {
    expect(runner().mode).toBe('remote');
    const head = await t.app.get(EventStore).headPosition();
    await runner().waitFor(CREDIT_FEATURES_PROJECTION, head);
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(200);
    const projections = ready.body.info.projections.projections as Array<{ name: string; state: string }>;
    expect(projections.map((p) => p.name).sort()).toEqual([...runner().names].sort());
    expect(projections.every((p) => p.state === 'running')).toBe(true);
  });

  it("gives the worker's V8 heap the young generation sized for projection batches, not the 48 MB default", () => {
    // What the worker's isolate was created with (Node reports the applied constraints).
    const limits = t.app.get<ProjectionWorkerHost | null>(PROJECTION_WORKER)?.thread?.resourceLimits;
    expect(limits?.maxYoungGenerationSizeMb).toBe(PROJECTION_THREAD_YOUNG_GENERATION_MB);
    expect(PROJECTION_THREAD_YOUNG_GENERATION_MB).toBeGreaterThan(48);
  });

  it('a balance read right after a tip includes it (read-your-writes across the threads)', async () => {
    expect(await t.balance('user:w1:wallet:CNY')).toEqual({ posted: '1000.00', held: '0.00' });
    await tip('w1', 'w2', '12.34');
    expect(await t.balance('user:w1:wallet:CNY')).toEqual({ posted: '987.66', held: '0.00' });
  });

  it('credit features: consent, tips, withdrawal (rows purged), tips, re-consent: only events inside a window count', async () => {
    await tip('w1', 'w2', '1.00'); // before consent
    await grant('w1', 'c1');
    await tip('w1', 'w2', '2.00');
    await tip('w1', 'w2', '3.00');
    const first = await read('w1', { purpose: 'credit-scoring' });
    expect([first.status, sentCount(first.body)]).toEqual([200, '2']);
    await withdraw('w1', 'wd1', 'c1');
    const refused = await read('w1', { purpose: 'credit-scoring' });
    expect([refused.status, refused.body.code]).toEqual([403, 'WITHDRAWN']);
    await runner().waitFor(CREDIT_FEATURES_PROJECTION, await t.app.get(EventStore).headPosition());
    expect(await countContributions(t.app.get<ReadModelStore>(READ_MODEL_STORE).query, 'w1', 'bureau')).toBe(0);
    await tip('w1', 'w2', '4.00'); // between withdrawal and re-consent
    await grant('w1', 'c2');
    await tip('w1', 'w2', '5.00');
    const again = await read('w1', { purpose: 'credit-scoring' });
    expect([again.status, sentCount(again.body)]).toEqual([200, '1']);
    expect(again.body.currencies[0].features.tipsSentVolume90d).toMatchObject({ value: '5.00' });
  });

  it('a rebuild runs on the worker and gives the same features', async () => {
    const before = await read('w1', { purpose: 'credit-scoring' });
    await runner().rebuild(CREDIT_FEATURES_PROJECTION);
    // The worker reported the restart from position 0 before it answered.
    expect(runner().statusOf(CREDIT_FEATURES_PROJECTION).position).toBe(0n);
    const after = await read('w1', { purpose: 'credit-scoring' });
    expect(after.status).toBe(200);
    expect(after.body.currencies).toEqual(before.body.currencies);
  });

  // Last: it leaves the app without its worker.
  it('if the worker dies, projections report failed, readiness is 503 and reads that wait answer PROJECTION_LAGGING', async () => {
    const host = t.app.get<ProjectionWorkerHost | null>(PROJECTION_WORKER);
    const thread = host?.thread;
    if (!thread) throw new Error('no projection worker thread');
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    await thread.terminate();
    await exited;
    expect(runner().status().every((s) => s.state === 'failed')).toBe(true);
    expect((await t.http().get('/health/ready')).status).toBe(503);
    // w1 holds a consent: the share is decided and recorded, then the read side cannot answer.
    const response = await read('w1', { purpose: 'credit-scoring' });
    expect([response.status, response.body.code]).toEqual([503, 'PROJECTION_LAGGING']);
  });
});
