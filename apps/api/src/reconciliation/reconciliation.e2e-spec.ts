import { startTestApp, TestApp } from '../../../../test/support/test-app';
import { buildMonth, MonthFixture, sha256 } from './test/month-fixture';

interface Item {
  kind: string;
  class: string;
  line?: number;
  lines?: number[];
  reference?: string;
  reason: string | null;
  entryIds?: string[];
  settlement?: string;
  ledger?: string;
}

describe('reconciliation over HTTP', () => {
  let t: TestApp;
  let month: MonthFixture;
  let finance: string;
  let first: { status: number; body: Record<string, unknown> };

  const upload = (body: string, query: Record<string, string>, type = 'text/csv', auth = finance) =>
    t.http().post('/v1/reconciliation/runs').query(query).set('authorization', auth).set('content-type', type).send(body);

  beforeAll(async () => {
    t = await startTestApp();
    finance = await t.bearer('finance', 'fin-1');
    month = await buildMonth(t);
    const response = await upload(month.csv, { from: month.from, to: month.to });
    first = { status: response.status, body: response.body as Record<string, unknown> };
  }, 120_000);
  afterAll(() => t.close());

  const report = async (): Promise<Item[]> => {
    const response = await t.http().get(`/v1/reconciliation/runs/${first.body['runId'] as string}/report`).set('authorization', finance).expect(200);
    return (JSON.parse(response.text) as { items: Item[] }).items;
  };

  it('records a run and puts every injected fault in its class, with its line number', async () => {
    expect(first.status).toBe(201);
    expect(first.body['replayed']).toBe(false);
    const items = await report();
    const at = (cls: string, line: number) => items.find((item) => item.class === cls && (item.line === line || item.lines?.includes(line)));
    expect(at('missing_in_ledger', month.lines.extraDeposit)).toMatchObject({ reference: 'dep-extra' });
    expect(at('duplicate', month.lines.duplicatePayout)?.reason).toMatch(/already on line/);
    expect(at('amount_mismatch', month.lines.offByOneFen)?.reason).toMatch(/difference 0\.01/);
    expect(at('currency_mismatch', month.lines.otherCurrency)?.reason).toBe('settlement in USD, ledger in CNY');
    expect(at('invalid', month.lines.malformed)?.reason).toMatch(/malformed line/);
    expect(at('invalid', month.lines.badAmount)?.reason).toMatch(/amount "12.5"/);
    expect(at('invalid', month.lines.badDate)?.reason).toMatch(/settled_at/);
    expect(at('invalid', month.lines.unknownType)?.reason).toMatch(/unknown type "transfer"/);
    expect(at('missing_in_ledger', month.lines.refund)?.reason).toMatch(/no processor refunds/);
    const missing = items.filter((item) => item.class === 'missing_in_settlement');
    expect(missing.map((item) => item.entryIds)).toEqual([[month.omittedDepositEntryId]]);
    // Grouped matches are not exceptions: neither the batch payout nor the deposit in two tranches.
    expect(items.some((item) => item.reference === 'batch-7' || item.reference === 'dep-9')).toBe(false);
  });

  it('totals per class and currency, and the internal checks pass', () => {
    const totals = first.body['totals'] as Array<{ class: string; currency: string; items: number; rows: number; ledgerEvents: number }>;
    const find = (cls: string, currency = 'CNY') => totals.find((line) => line.class === cls && line.currency === currency);
    // 24 deposits − 1 omitted − 2 faulty = 21 groups (one of them two tranches), + po-0, po-1 and the batch (2 events).
    expect(find('matched')).toMatchObject({ items: 24, rows: 25, ledgerEvents: 25 });
    expect(find('amount_mismatch')).toMatchObject({ items: 1 });
    expect(find('currency_mismatch', 'USD')).toMatchObject({ items: 1 });
    expect(find('duplicate')).toMatchObject({ items: 1 });
    expect(find('missing_in_ledger')).toMatchObject({ items: 2 });
    expect(find('missing_in_settlement')).toMatchObject({ items: 1 });
    // 34 data lines: 4 invalid, 1 duplicate (not staged), 29 valid.
    expect(first.body['rows']).toEqual({ total: 34, valid: 29, invalid: 4 });
    expect(first.body['unmatched']).toBe(10);
    const checks = first.body['checks'] as Array<{ name: string; ok: boolean }>;
    expect(checks.map((check) => check.name)).toEqual([
      'trial_balance_zero',
      'tips_volume_equals_payee_credits_plus_commission',
      'held_fees_equal_open_friend_requests',
      'reversals_reference_originals',
    ]);
    expect(checks.every((check) => check.ok)).toBe(true);
  });

  it('serves the report as ndjson whose SHA-256 is the recorded report hash, and as CSV', async () => {
    const runId = first.body['runId'] as string;
    const ndjson = await t.http().get(`/v1/reconciliation/runs/${runId}/report`).query({ format: 'ndjson' }).set('authorization', finance).expect(200);
    expect(sha256(ndjson.text)).toBe(first.body['reportSha256']);
    const csv = await t.http().get(`/v1/reconciliation/runs/${runId}/report`).query({ format: 'csv' }).set('authorization', finance).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const csvLines = csv.text.trim().split('\n');
    expect(csvLines[0]).toMatch(/^class,type,reference/);
    expect(csvLines).toHaveLength(1 + 10);
  });

  it('is idempotent: the same file for the same period answers with the recorded run and says so', async () => {
    const again = await upload(month.csv, { from: month.from, to: month.to });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, runId: first.body['runId'], reportSha256: first.body['reportSha256'] });
    expect(again.body.message).toMatch(/already reconciled/);
    const status = await t.http().get(`/v1/reconciliation/runs/${first.body['runId'] as string}`).set('authorization', finance).expect(200);
    expect(status.body).toMatchObject({ status: 'completed', message: 'completed; 1 attempt(s)' });
  });

  it('reads JSON lines and refuses a number where an amount string belongs', async () => {
    const response = await upload(month.jsonLines, { from: month.from, to: month.to }, 'application/x-ndjson');
    expect(response.status).toBe(201);
    const items = (JSON.parse((await t.http().get(`/v1/reconciliation/runs/${response.body.runId as string}/report`).set('authorization', finance)).text) as { items: Item[] }).items;
    expect(items.find((item) => item.class === 'invalid')).toMatchObject({ line: 2, reason: expect.stringMatching(/JSON numbers are not accepted/) });
  });

  it('refuses a bad header and an empty file as a whole, recording nothing', async () => {
    const badHeader = await upload('id,type,amount\nx,deposit,1.00\n', { from: month.from, to: month.to });
    expect(badHeader.status).toBe(422);
    expect(badHeader.body).toMatchObject({ code: 'SETTLEMENT_FILE_INVALID', detail: expect.stringMatching(/line 1: bad header: unknown column "id"/) });
    const empty = await upload('', { from: month.from, to: month.to });
    expect(empty.status).toBe(422);
    expect(empty.body.detail).toMatch(/empty/);
  });

  it('refuses other media types and bad periods', async () => {
    const json = await t.http().post('/v1/reconciliation/runs').query({ from: month.from, to: month.to }).set('authorization', finance).send({ rows: [] });
    expect(json.status).toBe(415);
    const backwards = await upload(month.csv, { from: month.to, to: month.from });
    expect(backwards.status).toBe(400);
  });

  it('is for finance only', async () => {
    for (const [role, id] of [
      ['subject', 'u1'],
      ['compliance', 'c1'],
      ['operator', 'o1'],
    ] as const) {
      const auth = await t.bearer(role, id);
      expect((await upload(month.csv, { from: month.from, to: month.to }, 'text/csv', auth)).status).toBe(403);
      expect((await t.http().get(`/v1/reconciliation/runs/${first.body['runId'] as string}`).set('authorization', auth)).status).toBe(403);
    }
    const unknown = await t.http().get('/v1/reconciliation/runs/01890000-0000-7000-8000-000000000000').set('authorization', finance);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('RECONCILIATION_RUN_NOT_FOUND');
  });

  it('closes a past day once, with its trial balance and summary', async () => {
    const yesterday = new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10);
    const closed = await t.http().post(`/v1/reconciliation/days/${yesterday}/close`).set('authorization', finance);
    expect(closed.status).toBe(201);
    expect(closed.body).toMatchObject({ day: yesterday, closedBy: 'finance:fin-1' });
    expect(closed.body.currencies[0]).toMatchObject({ currency: 'CNY', trialBalanceTotal: '0.00' });
    const twice = await t.http().post(`/v1/reconciliation/days/${yesterday}/close`).set('authorization', finance);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('DAY_ALREADY_CLOSED');
    const today = new Date().toISOString().slice(0, 10);
    expect((await t.http().post(`/v1/reconciliation/days/${today}/close`).set('authorization', finance)).status).toBe(400);
    expect((await t.http().post(`/v1/reconciliation/days/${yesterday}/close`).set('authorization', await t.bearer('subject', 'u1'))).status).toBe(403);
  });
});
