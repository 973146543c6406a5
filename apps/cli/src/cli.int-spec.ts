import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, parseKeys, TokenService } from '@attest/auth';
import { EventRegistry, EventStore, SqliteEventStore } from '@attest/event-store';
import { ACCESS_LOG_EVENTS } from '@attest/access-log';
import { verifyBundle } from '@attest/audit/verify';
import { runCli, runCliAsync } from '../../../test/support/cli';
import { creditConsentBody, publishCatalogue } from '../../../test/support/consent-catalogue';
import { startTestApp, TestApp } from '../../../test/support/test-app';

/**
 * Each command's happy path and its error paths, with exit codes, through a real child process
 * (test/support/cli.ts). Spawns cost seconds each, so every call checks as much as it can.
 */
jest.setTimeout(180_000);

describe('attest CLI', () => {
  let dir: string;
  const keys = generateKey('cli-test').encoded;
  const env = () => ({ ATTEST_DATA_DIR: dir, ATTEST_JWT_KEYS: keys, ATTEST_STORE: 'sqlite', ATTEST_READ_MODELS: 'sqlite' });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'attest-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names itself attest in help, and lists every command', () => {
    const help = runCli(['--help'], env());
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: attest /);
    for (const command of ['verify', 'audit', 'migrate', 'projections', 'token', 'bundle', 'demo']) expect(help.stdout).toContain(`\n  ${command}`);
  });

  it('token mint: a token the API verifies; a missing --role is a usage error (2)', async () => {
    const minted = runCli(['token', 'mint', '--role', 'partner', '--sub', 'svc-1', '--recipient', 'bureau', '--ttl', '600', '--json'], env());
    expect(minted.code).toBe(0);
    const { token, expiresAt } = JSON.parse(minted.stdout);
    const verifier = new TokenService({ issuer: 'attest', audience: 'attest-api', keys: parseKeys(keys) });
    expect(await verifier.verify(token)).toMatchObject({ role: 'partner', id: 'svc-1', recipientId: 'bureau' });
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
    const missing = runCli(['token', 'mint', '--sub', 'u1'], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--role <role>'");
  });

  it('migrate, then status reports lag (exit 1 beyond --max-lag), rebuild --all catches up (exit 0)', async () => {
    const migrated = runCli(['migrate', '--json'], env());
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.stdout).projections).toEqual(expect.arrayContaining([{ name: 'merkle-log', version: 1, action: 'created' }]));
    expect(JSON.parse(migrated.stdout)).toMatchObject({ store: 'sqlite', keyStore: 'sqlite' });

    // Events appended behind the projections' back: nothing applies them until a rebuild.
    const store = new EventStore(new SqliteEventStore({ path: join(dir, 'events.sqlite') }), new EventRegistry().register(...ACCESS_LOG_EVENTS));
    const accessed = { type: 'SubjectDataAccessed', data: { subjectId: 'u1', accessorRole: 'finance', accessorId: 'f1', resource: 'ledger-statement', reason: null, accessedAt: new Date().toISOString(), requestId: 'r' } };
    await store.append('access-u1', Array.from({ length: 30 }, () => accessed), { expectedRevision: 'any', actor: 'system:test' });
    const head = await store.headPosition();
    await store.close();

    const behind = runCli(['projections', 'status', '--max-lag', '5', '--json'], env());
    expect(behind.code).toBe(1);
    const lagging = JSON.parse(behind.stdout);
    expect(lagging.healthy).toBe(false);
    expect(lagging.projections.find((p: { name: string }) => p.name === 'access-log')).toMatchObject({ lagEvents: head.toString(), healthy: false });

    const rebuilt = runCli(['projections', 'rebuild', '--all', '--json'], env());
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.stdout).rebuilt.map((r: { name: string; events: string }) => [r.name, r.events])).toContainEqual(['access-log', head.toString()]);

    const caughtUp = runCli(['projections', 'status', '--max-lag', '0'], env());
    expect(caughtUp.code).toBe(0);
    expect(caughtUp.stdout).toContain('all projections within the lag bound');
  });

  it('status on a directory with no store is a usage error (2), and does not create one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'attest-cli-empty-'));
    const status = runCli(['projections', 'status', '--data-dir', empty], env());
    expect([status.code, status.stderr]).toEqual([2, expect.stringContaining('no event store at')]);
    expect(existsSync(join(empty, 'events.sqlite'))).toBe(false);
    rmSync(empty, { recursive: true, force: true });
  });

  describe('bundle export (over HTTP, against a running API)', () => {
    let t: TestApp;
    let url: string;
    beforeAll(async () => {
      t = await startTestApp({ ATTEST_JWT_KEYS: keys });
      await t.app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      await publishCatalogue(t);
      const granted = await t.http().post('/v1/subjects/u1/consents').set('authorization', await t.bearer('subject', 'u1')).send(creditConsentBody());
      expect(granted.status).toBe(201);
    });
    afterAll(() => t.close());

    it('writes a bundle that verifies; an unknown subject is a usage error (2)', async () => {
      const out = join(dir, 'u1-bundle.json');
      const exported = await runCliAsync(['bundle', 'export', 'u1', '--reason', 'regulator request 7', '--out', out, '--url', url, '--verify', '--json'], env());
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout)).toMatchObject({ subjectId: 'u1', out, verified: true });
      const bundle = JSON.parse(readFileSync(out, 'utf8'));
      expect(bundle).toMatchObject({ format: 'attest.audit-bundle', subjectId: 'u1' });
      expect(verifyBundle(bundle).ok).toBe(true);

      const unknown = await runCliAsync(['bundle', 'export', 'nobody', '--reason', 'regulator request 7', '--url', url], env());
      expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('NOT_FOUND')]);
    });
  });
});
