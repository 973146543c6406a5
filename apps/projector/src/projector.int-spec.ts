import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventRegistry, EventStore, SqliteEventStore } from '@attest/event-store';
import { ACCESS_LOG_EVENTS } from '@attest/access-log';
import { ProjectionRunner, SqliteReadModelStore } from '@attest/projection-runner';
import { accessLogProjection } from '@attest/projections/access-log/access-log.projection';

const accessed = (subjectId: string) => ({
  type: 'SubjectDataAccessed',
  data: { subjectId, accessorRole: 'finance', accessorId: 'f1', resource: 'ledger-statement', reason: null, accessedAt: new Date().toISOString(), requestId: 'r' },
});

describe('projector and API in external mode', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'attest-projector-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an external runner (API) sees what the inline runner (projector) committed: read-your-writes across processes', async () => {
    const store = new EventStore(new SqliteEventStore({ path: join(dir, 'events.sqlite'), pollIntervalMs: 10 }), new EventRegistry().register(...ACCESS_LOG_EVENTS));
    const projectorModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
    const apiModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
    const projector = new ProjectionRunner(store, projectorModels, 'inline').register(accessLogProjection);
    const api = new ProjectionRunner(store, apiModels, 'external', 10).register(accessLogProjection);
    await projector.start();
    await api.start();
    const written = await store.append('access-a', [accessed('a'), accessed('a')], { expectedRevision: 'any', actor: 'system:test' });
    await api.waitFor('access-log', written.lastPosition, 5_000);
    const rows = await apiModels.query.all('SELECT subject_id FROM access_log');
    expect(rows).toHaveLength(2);
    expect(api.status()[0]).toMatchObject({ state: 'running', position: written.lastPosition });
    await expect(api.rebuild('access-log')).rejects.toThrow(/projector/);
    await api.stop();
    await projector.stop();
    await Promise.all([store.close(), projectorModels.close(), apiModels.close()]);
  });

  it('stops gracefully on SIGTERM with its checkpoint at the last applied batch', async () => {
    const eventsPath = join(dir, 'events.sqlite');
    const store = new EventStore(new SqliteEventStore({ path: eventsPath }), new EventRegistry().register(...ACCESS_LOG_EVENTS));
    for (let i = 0; i < 20; i++) await store.append(`access-s${i}`, Array.from({ length: 100 }, () => accessed(`s${i}`)), { expectedRevision: 'any', actor: 'system:test' });
    const head = await store.headPosition();
    await store.close();

    const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', join(__dirname, 'main.ts')], {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ATTEST_DATA_DIR: dir, LOG_LEVEL: 'warn', ATTEST_JWT_KEYS: `k:${'a'.repeat(43)}`, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    const checkpoint = () => {
      try {
        const db = new Database(join(dir, 'read-models.sqlite'), { readonly: true });
        const row = db.prepare("SELECT position FROM projection_checkpoints WHERE name = 'access-log'").get() as { position: number } | undefined;
        db.close();
        return BigInt(row?.position ?? 0);
      } catch {
        return 0n;
      }
    };
    const port = () => /health endpoint on http:\/\/[^:]+:(\d+)\//.exec(output)?.[1];
    while ((checkpoint() < head || !/projector running/.test(output) || !port()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`http://127.0.0.1:${port()}/health/ready`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', headPosition: head.toString() });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(output).toMatch(/projector running \d+ projection\(s\)/);
    expect(code).toBe(0);
    expect(checkpoint()).toBe(head);
    const db = new Database(join(dir, 'read-models.sqlite'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM access_log').get() as { n: number }).n).toBe(2000);
    db.close();
  }, 120_000);
});
