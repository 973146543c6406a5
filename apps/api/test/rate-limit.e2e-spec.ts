import { startTestApp, TestApp } from '../../../test/support/test-app';

describe('rate limiting of write requests per token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: '3' });
  });
  afterAll(() => t.close());

  it('answers 429 problem+json with Retry-After once a token spent its writes, and counts tokens separately', async () => {
    const alice = await t.bearer('subject', 'alice');
    const bob = await t.bearer('subject', 'bob');
    // Any write route counts; an invalid body is refused after the limiter, so nothing is written.
    const post = (auth: string) => t.http().post('/v1/tips').set('authorization', auth).send({});
    for (let i = 0; i < 3; i++) expect((await post(alice)).status).not.toBe(429);
    const limited = await post(alice);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await post(bob)).status).not.toBe(429);
    // Reads are never limited.
    for (let i = 0; i < 5; i++) expect((await t.http().get('/health/live').set('authorization', alice)).status).toBe(200);
  });
});
