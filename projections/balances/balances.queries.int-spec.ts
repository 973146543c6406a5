import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresReadModelStore, ReadModelStore, SqliteReadModelStore } from '@attest/projection-runner';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../test/support/postgres';
import { balancesProjection } from './balances.projection';
import { trialBalance, trialBalanceTotalAt } from './balances.queries';
import { seededRandom } from '../../test/support/random';

/**
 * `trialBalanceTotalAt` (current balances minus what was posted later) against `trialBalance`
 * (every posting up to the instant), on postings that do not balance — a read model holding an
 * unbalanced entry is what the check exists to catch, so the two must agree on it at every
 * instant, including the instants of the postings themselves. SQLite, or PostgreSQL with
 * ATTEST_TEST_STORE=postgres.
 */
describe('trialBalanceTotalAt', () => {
  let dir: string;
  let database: ThrowawayDatabase | null = null;
  let readModels: ReadModelStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attest-balances-'));
    if (process.env['ATTEST_TEST_STORE'] === 'postgres') {
      database = await createThrowawayDatabase('balances');
      readModels = new PostgresReadModelStore({ connectionString: database.url });
    } else readModels = new SqliteReadModelStore(join(dir, 'read-models.sqlite'));
    const schema = typeof balancesProjection.schema === 'function' ? balancesProjection.schema(readModels.dialect) : balancesProjection.schema;
    for (const ddl of schema) await readModels.exec(ddl);
  });

  afterEach(async () => {
    await readModels.close();
    await database?.drop();
    database = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('equals the sum of every posting up to the instant, balanced or not', async () => {
    const next = seededRandom(3);
    const accounts = ['user:a:wallet:CNY', 'user:b:wallet:CNY', 'platform:commission:CNY', 'processor:clearing:CNY', 'user:c:wallet:USD'];
    const kindOf = (account: string) => account.split(':').filter((_, i) => i !== 1 || !account.startsWith('user:')).slice(0, 2).join(':');
    const posted = new Map<string, bigint>();
    const instants: string[] = [];
    await readModels.transaction(async (tx) => {
      for (let i = 0; i < 200; i++) {
        const account = accounts[Math.floor(next() * accounts.length)] ?? 'user:a:wallet:CNY';
        // Mostly balanced pairs of the same instant; now and then a lone posting (an unbalanced entry).
        const at = new Date(Date.UTC(2026, 2, 1 + Math.floor(next() * 28), Math.floor(next() * 24), 0, 0, Math.floor(next() * 3))).toISOString();
        const delta = BigInt(Math.floor(next() * 10_000) - 5_000);
        const legs: Array<[string, bigint]> = next() < 0.9 ? [[account, delta], [account.endsWith('USD') ? 'user:d:wallet:USD' : 'processor:clearing:CNY', -delta]] : [[account, delta]];
        for (const [seq, [leg, amount]] of legs.entries()) {
          await tx.run(
            `INSERT INTO ledger_postings (event_id, seq, position, recorded_at, entry_id, entry_type, account, account_kind, currency, delta, held_delta, balance_after, held_after)
             VALUES (?, ?, ?, ?, ?, 'FundsDeposited', ?, ?, ?, ?, 0, 0, 0)`,
            `e-${i}`, seq, BigInt(i + 1), at, `entry-${i}`, leg, kindOf(leg), leg.slice(-3), amount,
          );
          posted.set(leg, (posted.get(leg) ?? 0n) + amount);
        }
        instants.push(at);
      }
      // The accounts hold the sum of their postings, as the projection keeps them.
      for (const [account, sum] of posted)
        await tx.run('INSERT INTO ledger_accounts (account, account_kind, currency, posted, held, last_position) VALUES (?, ?, ?, ?, 0, 0)', account, kindOf(account), account.slice(-3), sum);
    });
    const probes = [...instants, ...instants.map((at) => new Date(Date.parse(at) - 1).toISOString()), '2026-02-28T00:00:00.000Z', '2026-03-31T23:59:59.999Z'];
    let unbalanced = 0;
    for (const currency of ['CNY', 'USD']) {
      for (const instant of probes) {
        const expected = (await trialBalance(readModels.query, currency, { instant })).totalMinor;
        expect([currency, instant, await trialBalanceTotalAt(readModels.query, currency, instant)]).toEqual([currency, instant, expected]);
        if (expected !== 0n) unbalanced += 1;
      }
    }
    // The lone postings made the books unbalanced at most instants: the comparison meant something.
    expect(unbalanced).toBeGreaterThan(probes.length);
  });
});
