import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runCliAsync } from '../../../../test/support/cli';
import { startTestApp, TestApp } from '../../../../test/support/test-app';

/** `attest reconcile` against a real API listening on a port, as finance would run it. */
describe('attest reconcile', () => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  const today = new Date().toISOString().slice(0, 10);
  const at = `${today}T00:00:01Z`;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const finance = await t.bearer('finance', 'fin-cli');
    for (const i of [1, 2]) {
      await t
        .http()
        .post('/v1/deposits')
        .set('authorization', finance)
        .send({ idempotencyKey: `cli-dep-${i}`, wallet: 'user:u1:wallet:CNY', amount: { value: `${i}0.00`, currency: 'CNY' }, externalReference: `cli-dep-${i}` })
        .expect(201);
    }
    dir = mkdtempSync(join(tmpdir(), 'attest-cli-reconcile-'));
    env = { ATTEST_API_URL: `http://127.0.0.1:${port}`, ATTEST_TOKEN: await t.token('finance', 'fin-cli') };
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('prints a summary table and exits 0 when everything matches', async () => {
    const path = file('clean.csv', `external_id,type,amount,currency,settled_at\ncli-dep-1,deposit,10.00,CNY,${at}\ncli-dep-2,deposit,20.00,CNY,${at}\n`);
    const result = await runCliAsync(['reconcile', path, '--from', today, '--to', today], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/RECONCILED, ALL MATCHED/);
    expect(result.stdout).toMatch(/matched\s+CNY\s+2\s+2\s+2\s+30\.00\s+30\.00/);
    const again = await runCliAsync(['reconcile', path, '--from', today, '--to', today, '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ replayed: true, unmatched: 0 });
  }, 60_000);

  it('exits 1 when unmatched items exist, 0 with --allow-unmatched', async () => {
    const path = file('faulty.csv', `external_id,type,amount,currency,settled_at\ncli-dep-1,deposit,10.01,CNY,${at}\nbroken line\n`);
    const result = await runCliAsync(['reconcile', path, '--from', today, '--to', today], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/amount_mismatch line 2 cli-dep-1/);
    expect(result.stdout).toMatch(/invalid line 3: malformed line/);
    expect((await runCliAsync(['reconcile', path, '--from', today, '--to', today, '--allow-unmatched'], env)).code).toBe(0);
  }, 60_000);

  it('exits 2 on a file refused as a whole, a missing flag or a missing file', async () => {
    const bad = await runCliAsync(['reconcile', file('bad.csv', 'nope\n'), '--from', today, '--to', today], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/SETTLEMENT_FILE_INVALID.*bad header/);
    const noTo = runCli(['reconcile', file('x.csv', 'a'), '--from', today], env);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toMatch(/--from and --to are required/);
    expect(runCli(['reconcile', join(dir, 'absent.csv'), '--from', today, '--to', today], env).code).toBe(2);
    expect(runCli(['reconcile', file('y.csv', 'a'), '--from', today, '--to', today], { ...env, ATTEST_TOKEN: '' }).stderr).toMatch(/ATTEST_TOKEN/);
  }, 60_000);
});
