import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventRegistry, EventStore } from '@attest/event-store';
import { fromBase64, LogPublicKey, SignedCheckpoint, verifyBundle, verifyCheckpoint } from '@attest/audit';
import { leafHash, verifyConsistency, verifyInclusion } from '@attest/merkle';
import { canonicalEntry } from '@attest/audit/verify/entry';
import { startTestApp, TestApp } from '../../../../test/support/test-app';
import { AUDIT_TEST_EVENTS, seedConsentTrail } from '../../../../test/support/audit-test-events';
import { runCli } from '../../../../test/support/cli';

// The CLI runs in child processes (a few seconds each on a busy machine).
jest.setTimeout(120_000);

const b64 = (text: string) => fromBase64(text, 32) ?? Buffer.alloc(0);

describe('provable history over HTTP: checkpoints, proofs, bundles, tamper detection', () => {
  let t: TestApp;
  let store: EventStore;
  let compliance: { authorization: string };
  let operator: { authorization: string };

  beforeAll(async () => {
    // Checkpoints only on demand here, so sizes are deterministic.
    t = await startTestApp({ ATTEST_CHECKPOINT_EVERY_EVENTS: '1000000', ATTEST_CHECKPOINT_INTERVAL_MS: '86400000' });
    t.app.get(EventRegistry).register(...AUDIT_TEST_EVENTS);
    store = t.app.get(EventStore);
    compliance = { authorization: await t.bearer('compliance', 'officer-1') };
    operator = { authorization: await t.bearer('operator', 'ops-1') };
  });
  afterAll(() => t.close());

  let first: SignedCheckpoint;
  let key: LogPublicKey;

  it('has no checkpoint on a fresh log, then signs one on demand that verifies', async () => {
    const none = await t.http().get('/v1/audit/checkpoints/latest');
    expect(none.status).toBe(404);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.code).toBe('CHECKPOINT_NOT_FOUND');

    await seedConsentTrail(store, 's1');
    const issued = await t.http().post('/v1/audit/checkpoints').set(operator);
    expect(issued.status).toBe(201);
    first = issued.body.checkpoint;
    key = issued.body.publicKey;
    // 2 notice versions + 3 subject events + 1 other subject's event (the key is registered after).
    expect(first.treeSize).toBe(6);
    expect(first.origin).toBe('attest.local/log');
    expect(verifyCheckpoint(first, [key])).toMatchObject({ ok: true });
    expect(first.note).toMatch(/^attest\.local\/log\n6\n[A-Za-z0-9+/=]{44}\ntimestamp \d{4}-.*Z\n\n\u2014 attest\.local\/log [A-Za-z0-9+/=]+\n$/);
    expect((await t.http().get('/v1/audit/checkpoints/latest')).body.checkpoint).toEqual(first);
    expect((await t.http().get('/v1/audit/keys')).body.keys).toEqual([key]);
  });

  it('proves an event is in the log, by event id and by position', async () => {
    const events = [];
    for await (const event of store.adapter.readStream('subject-s1')) events.push(event);
    const grant = events[0];
    if (!grant) throw new Error('no grant');
    const byId = await t.http().get('/v1/audit/proofs/inclusion').set(compliance).query({ eventId: grant.eventId });
    expect(byId.status).toBe(200);
    expect(byId.body.treeSize).toBe(first.treeSize);
    expect(byId.body.checkpoint).toEqual(first);
    const leaf = leafHash(canonicalEntry(byId.body.event));
    expect(leaf.toString('base64')).toBe(byId.body.leafHash);
    expect(verifyInclusion(byId.body.leafIndex, first.treeSize, leaf, byId.body.inclusionProof.map(b64), b64(first.rootHash))).toEqual({ ok: true });

    const byPosition = await t.http().get('/v1/audit/proofs/inclusion').set(compliance).query({ position: grant.globalPosition.toString(), treeSize: 5 });
    expect(byPosition.status).toBe(200);
    expect(verifyInclusion(byPosition.body.leafIndex, 5, leaf, byPosition.body.inclusionProof.map(b64), b64(byPosition.body.rootHash))).toEqual({ ok: true });
  });

  it('answers the expected failures as problem+json', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ eventId: 'no-such-event' }, 404, 'EVENT_NOT_IN_LOG'],
      [{ position: '2', treeSize: '1' }, 404, 'EVENT_NOT_IN_LOG'],
      [{ position: '2', treeSize: '999' }, 422, 'TREE_SIZE_OUT_OF_RANGE'],
      [{ position: '2', eventId: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ position: 'two' }, 400, 'VALIDATION_FAILED'],
      [{ position: '2', color: 'red' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [query, status, code] of cases) {
      const response = await t.http().get('/v1/audit/proofs/inclusion').set(compliance).query(query);
      expect({ query, status: response.status, code: response.body.code }).toEqual({ query, status, code });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await t.http().get('/v1/audit/proofs/consistency').set(compliance).query({ from: 9, to: 3 })).body.code).toBe('TREE_SIZE_OUT_OF_RANGE');
  });

  let second: SignedCheckpoint;

  it('signs a later checkpoint with a later timestamp, consistent with the first', async () => {
    await store.append('subject-s2', [{ type: 'TestDataShared', data: { recipient: 'partner-3', purpose: 'y' } }], { expectedRevision: 'noStream', actor: 'system:test' });
    second = (await t.http().post('/v1/audit/checkpoints').set(operator)).body.checkpoint;
    // The key registration and the first checkpoint are events too, then the share.
    expect(second.treeSize).toBe(first.treeSize + 3);
    expect(second.timestamp > first.timestamp).toBe(true);
    const response = await t.http().get('/v1/audit/proofs/consistency').set(compliance).query({ from: first.treeSize });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ fromTreeSize: first.treeSize, toTreeSize: second.treeSize, fromRootHash: first.rootHash, toRootHash: second.rootHash });
    expect(verifyConsistency(first.treeSize, second.treeSize, b64(first.rootHash), b64(second.rootHash), response.body.proof.map(b64))).toEqual({ ok: true });
  });

  it('exports a subject bundle that verifies offline (in process and with `attest verify`), and records the export', async () => {
    expect((await t.http().post('/v1/audit/subjects/s1/bundle').send({ reason: 'regulator request 42' })).status).toBe(401);
    expect((await t.http().post('/v1/audit/subjects/s1/bundle').set(compliance).send({})).body.code).toBe('VALIDATION_FAILED');
    expect((await t.http().post('/v1/audit/subjects/nobody/bundle').set(compliance).send({ reason: 'regulator request 42' })).body.code).toBe('NOT_FOUND');

    const response = await t.http().post('/v1/audit/subjects/s1/bundle').set(compliance).send({ reason: 'regulator request 42', consistencyFrom: [first.treeSize] });
    expect(response.status).toBe(200);
    const bundle = response.body;
    expect(bundle).toMatchObject({ format: 'attest.audit-bundle', version: 1, subjectId: 's1', streamId: 'subject-s1' });
    expect(bundle.events.map((e: { event: { type: string } }) => e.event.type)).toEqual(['TestConsentGranted', 'TestDataShared', 'TestConsentWithdrawn']);
    expect(bundle.notices).toHaveLength(1);
    expect(bundle.notices[0].event.data.version).toBe('3');
    const report = verifyBundle(bundle, { consistencyFrom: first });
    expect(report).toMatchObject({ ok: true, eventsVerified: 3, noticesVerified: 1, citationsVerified: 2, failures: [] });
    expect(report.consistencyVerified).toEqual({ fromTreeSize: first.treeSize, toTreeSize: bundle.checkpoint.treeSize });

    const exports = [];
    for await (const event of store.readStream('audit-exports-s1')) exports.push(event);
    expect(exports).toHaveLength(1);
    expect(exports[0]).toMatchObject({ type: 'AuditBundleExported', data: { subjectId: 's1', bundleId: bundle.bundleId }, pii: { reason: 'regulator request 42' }, metadata: { actor: 'compliance:officer-1' } });

    const dir = t.config.dataDir;
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle));
    writeFileSync(join(dir, 'kept-checkpoint.json'), JSON.stringify({ checkpoint: first }));
    const cli = runCli(['verify', join(dir, 'bundle.json'), '--consistency-from', join(dir, 'kept-checkpoint.json')]);
    expect(cli.stdout).toMatch(/^VERIFIED\n/);
    expect(cli.stdout).toContain('events proven: 3; notices proven: 1; notice citations matched: 2');
    expect(cli.code).toBe(0);

    // A bundle edited after export fails, naming the event.
    const edited = JSON.parse(JSON.stringify(bundle));
    edited.events[1].event.data.recipient = 'partner-9';
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(edited));
    const failed = runCli(['verify', join(dir, 'edited.json'), '--json']);
    expect(failed.code).toBe(1);
    const failedReport = JSON.parse(failed.stdout);
    expect(failedReport.ok).toBe(false);
    expect(failedReport.failures).toEqual([expect.objectContaining({ scope: expect.stringContaining(bundle.events[1].event.eventId), code: 'INCLUSION_ROOT_MISMATCH' })]);
  });

  // This case edits the embedded store's file with SQL, and `attest audit check --data-dir` reads
  // that file; in the PostgreSQL e2e run the log lives in PostgreSQL, so the case runs on SQLite only.
  const onEmbeddedStore = process.env['ATTEST_TEST_STORE'] === 'postgres' ? it.skip : it;
  onEmbeddedStore('detects one byte edited in the events table: `attest audit check` and a fresh bundle both name the event', async () => {
    const before = runCli(['audit', 'check', '--data-dir', t.config.dataDir]);
    expect(before.stdout).toMatch(/^LOG INTACT\n/);
    expect(before.code).toBe(0);

    const events = [];
    for await (const event of store.adapter.readStream('subject-s1')) events.push(event);
    const share = events[1];
    if (!share) throw new Error('no share');
    // The tamperer: one byte of stored JSON, straight in SQLite (partner-1 → partner-7).
    const db = new Database(t.config.sqlite.eventsPath);
    const changed = db.prepare("UPDATE events SET data = replace(data, 'partner-1', 'partner-7') WHERE event_id = ?").run(share.eventId);
    db.close();
    expect(changed.changes).toBe(1);

    const check = runCli(['audit', 'check', '--data-dir', t.config.dataDir, '--json']);
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout);
    expect(report.firstDifference).toMatchObject({ code: 'EVENT_CHANGED', eventId: share.eventId, position: share.globalPosition.toString() });
    expect(report.problems.map((p: { code: string }) => p.code)).toEqual(expect.arrayContaining(['EVENT_CHANGED', 'ROOT_MISMATCH']));

    const response = await t.http().post('/v1/audit/subjects/s1/bundle').set(compliance).send({ reason: 'second look' });
    expect(response.status).toBe(200);
    writeFileSync(join(t.config.dataDir, 'tampered-bundle.json'), JSON.stringify(response.body));
    const verify = runCli(['verify', join(t.config.dataDir, 'tampered-bundle.json')]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^NOT VERIFIED\n/);
    expect(verify.stdout).toContain(`FAIL event ${share.eventId} (position ${share.globalPosition}`);
  });
});
