import { startTestApp, TestApp } from '../../../test/support/test-app';

describe('problem details on errors Fastify raises before routing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('unknown route → 404 problem+json with a stable code', async () => {
    const response = await t.http().get('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'NOT_FOUND', status: 404, instance: '/v1/nothing-here' });
  });

  it('health is live and ready on a fresh store', async () => {
    expect((await t.http().get('/health/live')).body).toMatchObject({ status: 'ok' });
    expect((await t.http().get('/health/ready').expect(200)).body).toMatchObject({
      status: 'ok',
      details: { eventStore: { status: 'up', kind: t.config.store, headPosition: '0' }, projections: { status: 'up' } },
    });
  });

  it('echoes a well-formed X-Request-Id and makes one up otherwise', async () => {
    const given = await t.http().get('/health/live').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http().get('/health/live').set('x-request-id', 'bad id with spaces');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
