import { EventStore } from '@attest/event-store';
import { ProblemException } from '@attest/http';
import { ProjectionRunner } from '@attest/projection-runner';
import { startTestApp, TestApp } from '../../../../test/support/test-app';
import { AccessAudit } from './access-audit.service';

describe('audited reads: a subject sees who looked at their data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('lists accesses by compliance and finance, newest first, only to that subject', async () => {
    const audit = t.app.get(AccessAudit);
    await audit.record({ role: 'compliance', id: 'officer-1' }, 'alice', 'consent-trail', 'complaint #42 review', 'req-1');
    await audit.record({ role: 'finance', id: 'fin-1' }, 'alice', 'ledger-statement', undefined, 'req-2');
    await audit.record({ role: 'subject', id: 'alice' }, 'alice', 'consent-trail', undefined, 'req-3');
    await t.app.get(ProjectionRunner).waitFor('access-log', await t.app.get(EventStore).headPosition());

    const mine = await t.http().get('/v1/subjects/alice/access-log').set('authorization', await t.bearer('subject', 'alice')).expect(200);
    expect(mine.body.entries.map((e: { accessorId: string; resource: string; reason: string | null }) => [e.accessorId, e.resource, e.reason])).toEqual([
      ['fin-1', 'ledger-statement', null],
      ['officer-1', 'consent-trail', 'complaint #42 review'],
    ]);
    const other = await t.http().get('/v1/subjects/alice/access-log').set('authorization', await t.bearer('subject', 'bob'));
    expect(other.status).toBe(403);
    const partner = await t.http().get('/v1/subjects/alice/access-log').set('authorization', await t.bearer('partner', 'p', 'bureau'));
    expect(partner.status).toBe(403);
  });

  it('refuses a compliance read without a reason, recording nothing', async () => {
    const store = t.app.get(EventStore);
    const head = await store.headPosition();
    const error = await t.app.get(AccessAudit).record({ role: 'compliance', id: 'officer-1' }, 'bob', 'audit-bundle', ' ', 'req-4').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).code).toBe('VALIDATION_FAILED');
    expect(await store.headPosition()).toBe(head);
  });

  it('validates the cursor and page size', async () => {
    const auth = await t.bearer('subject', 'alice');
    const bad = await t.http().get('/v1/subjects/alice/access-log?limit=0&cursor=abc').set('authorization', auth);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.cursor', 'query.limit']);
  });
});
