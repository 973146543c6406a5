import { startLedgerApp, LedgerFixture } from '../test/ledger-fixture';

describe('POST /v1/tips', () => {
  let t: LedgerFixture;
  beforeAll(async () => {
    t = await startLedgerApp();
    expect((await t.deposit('alice', '100.00')).status).toBe(201);
  });
  afterAll(() => t.close());

  it('tips: the fee is rounded down, the payee gets the rest, balances and trial balance follow', async () => {
    const response = await t.tip('alice', 'bob', '19.99');
    expect(response.status).toBe(201);
    expect(response.headers['idempotent-replayed']).toBe('false');
    expect(response.body).toMatchObject({
      type: 'TipSent',
      payerId: 'alice',
      payeeId: 'bob',
      amount: { value: '19.99', currency: 'CNY' },
      fee: { value: '0.99', currency: 'CNY' },
      net: { value: '19.00', currency: 'CNY' },
    });
    expect(await t.balance('user:alice:wallet:CNY')).toEqual({ posted: '80.01', held: '0.00' });
    expect(await t.balance('user:bob:wallet:CNY')).toEqual({ posted: '19.00', held: '0.00' });
    expect(await t.balance('platform:commission:CNY')).toEqual({ posted: '0.99', held: '0.00' });
    expect(await t.trialBalance()).toMatchObject({ total: { value: '0.00' }, balanced: true });
  });

  it('same key + same body → the original answer; same key + other body → 409; nothing moves twice', async () => {
    const key = t.key();
    const first = await t.tip('alice', 'bob', '1.00', key);
    const again = await t.tip('alice', 'bob', '1.00', key);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const head = await t.head();
    const reused = await t.tip('alice', 'bob', '2.00', key);
    expect(reused.status).toBe(409);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await t.head()).toBe(head);
  });

  it('concurrent requests with one key move money once', async () => {
    const before = await t.balance('user:alice:wallet:CNY');
    const key = t.key();
    const responses = await Promise.all(Array.from({ length: 8 }, () => t.tip('alice', 'carol', '1.00', key)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.body.entryId)).size).toBe(1);
    const after = await t.balance('user:alice:wallet:CNY');
    expect(BigInt(before.posted.replace('.', '')) - BigInt(after.posted.replace('.', ''))).toBe(100n);
  });

  it.each([
    ['SELF_TIP', { to: 'user:alice:wallet:CNY' }, 422],
    ['AMOUNT_OUT_OF_RANGE', { amount: { value: '200.01', currency: 'CNY' } }, 422],
    ['INSUFFICIENT_FUNDS', { amount: { value: '200.00', currency: 'CNY' } }, 422],
    ['CURRENCY_MISMATCH', { to: 'user:bob:wallet:USD' }, 422],
    ['CURRENCY_MISMATCH', { amount: { value: '1.00', currency: 'USD' } }, 422],
  ])('refuses with %s and appends nothing', async (code, override, status) => {
    const head = await t.head();
    const response = await t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('subject', 'alice'))
      .set('idempotency-key', t.key())
      .send({ from: 'user:alice:wallet:CNY', to: 'user:bob:wallet:CNY', amount: { value: '1.00', currency: 'CNY' }, ...override });
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe(code);
    expect(await t.head()).toBe(head);
  });

  it.each([
    ['negative', { amount: { value: '-1.00', currency: 'CNY' } }, 'body.amount.value'],
    ['zero', { amount: { value: '0.00', currency: 'CNY' } }, 'body.amount.value'],
    ['fractional minor units', { amount: { value: '1.005', currency: 'CNY' } }, 'body.amount.value'],
    ['a minor-unit string', { amount: { value: '100', currency: 'CNY' } }, 'body.amount.value'],
    ['1e3', { amount: { value: '1e3', currency: 'CNY' } }, 'body.amount.value'],
    ['a JSON number', { amount: { value: 1.5, currency: 'CNY' } }, 'body.amount.value'],
    ['a huge value', { amount: { value: '123456789012345678901234567890.00', currency: 'CNY' } }, 'body.amount.value'],
    ['an unknown currency', { amount: { value: '1.00', currency: 'XXX' } }, 'body.amount.currency'],
    ['a missing amount', { amount: undefined }, 'body.amount'],
    ['an unknown field', { tipJar: true }, 'body.tipJar'],
    ['a bad wallet address', { to: 'bob' }, 'body.to'],
  ])('refuses %s with VALIDATION_FAILED naming the field', async (_, override, path) => {
    const head = await t.head();
    const response = await t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('subject', 'alice'))
      .set('idempotency-key', t.key())
      .send({ from: 'user:alice:wallet:CNY', to: 'user:bob:wallet:CNY', amount: { value: '1.00', currency: 'CNY' }, ...override });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await t.head()).toBe(head);
  });

  it('needs an idempotency key, and a subject tips only from their own wallet', async () => {
    const noKey = await t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('subject', 'alice'))
      .send({ from: 'user:alice:wallet:CNY', to: 'user:bob:wallet:CNY', amount: { value: '1.00', currency: 'CNY' } });
    expect(noKey.status).toBe(400);
    expect(noKey.body.errors[0].path).toBe('headers.idempotency-key');
    const empty = await t.tip('mallory', 'bob', '1.00');
    expect([empty.status, empty.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
    const forged = await t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('subject', 'mallory'))
      .set('idempotency-key', t.key())
      .send({ from: 'user:alice:wallet:CNY', to: 'user:mallory:wallet:CNY', amount: { value: '1.00', currency: 'CNY' } });
    expect(forged.status).toBe(403);
    const finance = await t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('finance', 'f1'))
      .set('idempotency-key', t.key())
      .send({ from: 'user:alice:wallet:CNY', to: 'user:bob:wallet:CNY', amount: { value: '1.00', currency: 'CNY' } });
    expect(finance.status).toBe(403);
  });
});

describe('concurrent tips from one payer beyond the balance', () => {
  let t: LedgerFixture;
  beforeAll(async () => {
    t = await startLedgerApp();
  });
  afterAll(() => t.close());

  it('exactly the affordable ones succeed, the rest get INSUFFICIENT_FUNDS, nothing goes negative', async () => {
    expect((await t.deposit('payer', '100.00')).status).toBe(201);
    // 40 concurrent tips of 7.00 against 100.00: exactly 14 are affordable (98.00).
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => t.tip('payer', `payee${i % 5}`, '7.00')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(14);
    expect(statuses.filter((s) => s === 422)).toHaveLength(26);
    expect(responses.filter((r) => r.status === 422).every((r) => r.body.code === 'INSUFFICIENT_FUNDS')).toBe(true);
    expect(await t.balance('user:payer:wallet:CNY')).toEqual({ posted: '2.00', held: '0.00' });
    expect(await t.trialBalance()).toMatchObject({ balanced: true });
  });
});
