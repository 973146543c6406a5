import { EventStore } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { startTestApp, TestApp } from '../../../../test/support/test-app';
import { MetricsService } from './metrics.service';

describe('/metrics and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ATTEST_READY_LAG_EVENTS_MAX: '0' });
  });
  afterAll(() => t.close());

  it('exposes request latency per route pattern, append latency, group commits and projection lag', async () => {
    await t.http().get('/health/live').expect(200);
    await t.http().get('/v1/subjects/someone/access-log').set('authorization', await t.bearer('subject', 'someone')).expect(200);
    const store = t.app.get(EventStore);
    await store.append('access-x', [{ type: 'SubjectDataAccessed', data: { subjectId: 'x', accessorRole: 'finance', accessorId: 'f', resource: 'ledger-statement', reason: null, accessedAt: new Date().toISOString(), requestId: 'r' } }], { expectedRevision: 'any', actor: 'system:test' });
    t.app.get(MetricsService).tips.inc({ outcome: 'accepted' });
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/attest_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/subjects\/:subjectId\/access-log"/);
    expect(text).toMatch(/attest_http_requests_total\{method="GET",route="\/health\/live",status="200"\} 1/);
    expect(text).toMatch(/attest_event_store_append_duration_seconds_count\{outcome="ok"\} 1/);
    // Group commit is the embedded store's mechanism; the PostgreSQL run has no such metric.
    if (t.config.store === 'sqlite') expect(text).toMatch(/attest_event_store_group_commit_appends_count 1/);
    expect(text).toMatch(/attest_projection_lag_events\{projection="access-log"\} \d+/);
    expect(text).toMatch(/attest_tips_total\{outcome="accepted"\} 1/);
  });

  it('is not ready while a projection is stopped or lags, and ready again once it caught up', async () => {
    const runner = t.app.get(ProjectionRunner);
    await runner.stop();
    const store = t.app.get(EventStore);
    await store.append('access-y', [{ type: 'SubjectDataAccessed', data: { subjectId: 'y', accessorRole: 'finance', accessorId: 'f', resource: 'ledger-statement', reason: null, accessedAt: new Date().toISOString(), requestId: 'r' } }], { expectedRevision: 'any', actor: 'system:test' });
    const down = await t.http().get('/health/ready');
    expect(down.status).toBe(503);
    expect(down.headers['content-type']).toMatch(/problem\+json/);
    expect(down.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', health: { status: 'error', error: { projections: { status: 'down' } } } });
    await runner.start();
    // Readiness looks at every projection (the lag bound is 0 here), not only the one fed above:
    // the Merkle log may commit its batch a moment after the access log.
    const head = await store.headPosition();
    for (const name of runner.names) await runner.waitFor(name, head);
    expect((await t.http().get('/health/ready')).status).toBe(200);
  });
});
