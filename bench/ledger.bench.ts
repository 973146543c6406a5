import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, parseKeys, TokenService } from '@attest/auth';
import { generateKek } from '@attest/crypto-shredding';
import { SqliteEventStore } from '@attest/event-store';
import { apiCpuSeconds, apiMainThreadCpuSeconds, startApiProcess } from './lib/api-process';
import { BenchHttpClient } from './lib/http-client';
import { cpuWindow } from './lib/load';
import { Benchmark, BenchResult, percentile } from './lib/report';
import { seededRandom } from '../test/support/random';

const WALLETS = 10_000;
const CONNECTIONS = 64;
const DURATION_MS = Number(process.env.ATTEST_BENCH_LEDGER_MS ?? 15_000);

interface TipsVariant {
  name: string;
  /** Extra environment for the API process. */
  apiEnv: Record<string, string>;
  /** A free-text note on every tip (personal data: sealed unless encryption is off). */
  note: boolean;
  what: string;
}

const tipsBenchmark = (variant: TipsVariant): Benchmark => ({
    name: variant.name,
    run: async (): Promise<BenchResult> => {
      const dir = mkdtempSync(join(tmpdir(), 'attest-bench-ledger-'));
      const keys = generateKey('bench').encoded;
      // The API runs in its own process, as in production. The limiter stays in the path (its
      // cost is measured) with a bound the load never reaches.
      const api = await startApiProcess({ ...variant.apiEnv, ...(process.env['ATTEST_BENCH_API_ENV'] ? JSON.parse(process.env['ATTEST_BENCH_API_ENV']) as Record<string, string> : {}), ATTEST_MODE: 'test', ATTEST_DATA_DIR: dir, ATTEST_JWT_KEYS: keys, ATTEST_KEKS: generateKek('bench'), ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: '1000000' });
      const port = api.port;
      const tokens = new TokenService({ issuer: 'attest', audience: 'attest-api', keys: parseKeys(keys) });
      const client = new BenchHttpClient(port, CONNECTIONS);
      try {
        // Fund 10,000 wallets (not timed).
        const finance = `Bearer ${await tokens.mint({ role: 'finance', id: 'bench' })}`;
        for (let start = 0; start < WALLETS; start += CONNECTIONS) {
          await Promise.all(
            Array.from({ length: Math.min(CONNECTIONS, WALLETS - start) }, async (_, i) => {
              const user = `w${start + i}`;
              const reply = await client.send('POST', '/v1/deposits', { authorization: finance, 'idempotency-key': `fund-${user}` }, JSON.stringify({ wallet: `user:${user}:wallet:CNY`, amount: { value: '10000.00', currency: 'CNY' }, externalReference: `fund-${user}` }));
              if (reply.status !== 201) throw new Error(`funding ${user}: ${reply.status} ${reply.body}`);
            }),
          );
        }
        // Tokens minted before the clock starts: the benchmark measures the API, not minting.
        const bearer: string[] = [];
        for (let i = 0; i < WALLETS; i++) bearer.push(`Bearer ${await tokens.mint({ role: 'subject', id: `w${i}` })}`);

        const random = seededRandom(42); // the same pairs on every run
        const latencies: number[] = [];
        const accepted = new Set<string>();
        let refused = 0;
        let failed = 0;
        let sequence = 0;
        const cpu = cpuWindow(() => apiCpuSeconds(api), () => apiMainThreadCpuSeconds(api));
        await cpu.start();
        const deadline = performance.now() + DURATION_MS;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: CONNECTIONS }, async () => {
            while (performance.now() < deadline) {
              const payer = Math.floor(random() * WALLETS);
              let payee = Math.floor(random() * WALLETS);
              if (payee === payer) payee = (payee + 1) % WALLETS;
              const cents = 1 + Math.floor(random() * 500);
              const body = JSON.stringify({
                from: `user:w${payer}:wallet:CNY`,
                to: `user:w${payee}:wallet:CNY`,
                amount: { value: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency: 'CNY' },
                ...(variant.note ? { note: `thanks for the photo #${sequence}, see you at the lake on Sunday!` } : {}),
              });
              const t0 = performance.now();
              const reply = await client.send('POST', '/v1/tips', { authorization: bearer[payer] ?? '', 'idempotency-key': `tip-${++sequence}` }, body);
              latencies.push(performance.now() - t0);
              if (reply.status === 201) accepted.add((JSON.parse(reply.body) as { entryId: string }).entryId);
              else if (reply.status === 422) refused++;
              else failed++;
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const { serverMicros, mainThreadMicros, clientMicros } = await cpu.perRequest(latencies.length);
        latencies.sort((a, b) => a - b);

        // Every 2xx tip is in the store exactly once (read from the file once the API has stopped).
        await api.stop();
        const store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
        const seen = new Map<string, number>();
        for await (const event of store.readAll({ types: ["TipSent"] })) seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
        const missing = [...accepted].filter((id) => seen.get(id) !== 1).length;
        const extra = [...seen.keys()].filter((id) => !accepted.has(id)).length;
        await store.close();
        if (missing > 0 || extra > 0 || failed > 0) throw new Error(`verification failed: ${missing} acknowledged tips missing, ${extra} unacknowledged stored, ${failed} non-2xx/422 answers`);

        return {
          name: variant.name,
          description: `${variant.what} POST /v1/tips over real HTTP (127.0.0.1, keep-alive) from ${CONNECTIONS} concurrent connections for ${DURATION_MS / 1000} s, random payer/payee among ${WALLETS.toLocaleString('en')} funded wallets, embedded SQLite store (synchronous=FULL), the API in its own process with its projections, the load generator in this one. Afterwards every 2xx tip was checked to be stored exactly once (${accepted.size.toLocaleString('en')} checked).`,
          measurements: [
            { metric: 'tips accepted (201)', value: accepted.size / seconds, unit: 'tips/s', target: { atLeast: 5_000 }, note: `${refused} refused with 422` },
            { metric: 'latency p50', value: percentile(latencies, 50), unit: 'ms' },
            { metric: 'latency p99', value: percentile(latencies, 99), unit: 'ms', target: { atMost: 25 } },
            // Where the two cores went: the API's CPU time per request (all its threads) and the
            // load generator's, which shares the machine.
            { metric: 'API CPU time per request', value: serverMicros, unit: 'µs' },
            ...(mainThreadMicros === null ? [] : [{ metric: 'API main thread (event loop) CPU time per request', value: mainThreadMicros, unit: 'µs' }]),
            { metric: 'load generator CPU time per request', value: clientMicros, unit: 'µs' },
          ],
        };
      } finally {
        await client.close();
        await api.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
});

export const ledgerBenchmarks: Benchmark[] = [
  tipsBenchmark({ name: 'ledger/tips over HTTP', apiEnv: {}, note: false, what: 'Tips without notes.' }),
  // Issue 11: the cost of sealing personal data on the tip path, side by side.
  tipsBenchmark({ name: 'ledger/tips with notes, personal data encrypted', apiEnv: {}, note: true, what: 'Tips with a ~60-character note (personal data) sealed with AES-256-GCM under the payer\'s key.' }),
  tipsBenchmark({ name: 'ledger/tips with notes, encryption off (comparison only)', apiEnv: { ATTEST_PII_ENCRYPTION: 'off' }, note: true, what: 'Same tips with notes, encryption turned off (test mode only) to measure its cost.' }),
];
