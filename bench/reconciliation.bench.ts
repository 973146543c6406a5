import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import { generateKey, TokenService } from '@attest/auth';
import { loadConfig } from '@attest/config';
import { EventStore, StreamEvents } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { createApp } from '../apps/api/src/bootstrap';
import { Benchmark, BenchResult } from './lib/report';

const ROWS = Number(process.env.ATTEST_BENCH_RECONCILE_ROWS ?? 1_000_000);
const WALLETS_PER_APPEND = 100;
const DEPOSITS_PER_WALLET = 100;
const DAY = '2026-03-15';

const amountOf = (i: number) => `${(i % 9_000) + 1}.${String(i % 100).padStart(2, '0')}`;
const minorOf = (i: number) => BigInt((i % 9_000) + 1) * 100n + BigInt(i % 100);

/** Seeds the ledger with ROWS deposits, 100 per wallet, appended in batches of 10,000 events (not timed). */
const seed = async (store: EventStore) => {
  const recordedAt = `${DAY}T12:00:00.000Z`;
  for (let first = 0; first < ROWS; first += WALLETS_PER_APPEND * DEPOSITS_PER_WALLET) {
    const streams: StreamEvents[] = [];
    for (let w = 0; w < WALLETS_PER_APPEND; w++) {
      const wallet = first / DEPOSITS_PER_WALLET + w;
      const events = [];
      for (let d = 0; d < DEPOSITS_PER_WALLET; d++) {
        const i = first + w * DEPOSITS_PER_WALLET + d;
        if (i >= ROWS) break;
        const entryId = uuidv7();
        events.push({
          type: 'FundsDeposited',
          eventId: entryId,
          data: {
            entryId,
            userId: `w${wallet}`,
            currency: 'CNY',
            amountMinor: minorOf(i),
            externalReference: `dep-${i}`,
            postings: [{ debit: 'processor:clearing:CNY', credit: `user:w${wallet}:wallet:CNY`, amountMinor: minorOf(i) }],
          },
        });
      }
      if (events.length > 0) streams.push({ streamId: `wallet-w${wallet}-CNY`, expectedRevision: 'any', events });
    }
    await store.appendMulti(streams, { actor: 'bench:seed', recordedAt });
  }
};

/** The processor's file for the same deposits, written to disk (not timed), in another order than the ledger. */
const writeFile = async (path: string) => {
  const out = createWriteStream(path);
  out.write('external_id,type,amount,currency,settled_at,processor_fee,reference\n');
  const stride = 7_919; // a prime: visits every row once, far from ledger order
  let chunk = '';
  for (let k = 0; k < ROWS; k++) {
    const i = (k * stride) % ROWS;
    chunk += `psp-${i},deposit,${amountOf(i)},CNY,${DAY}T13:00:00Z,0.10,dep-${i}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
};

const upload = (port: number, token: string, path: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v1/reconciliation/runs?from=${DAY}&to=${DAY}`,
        headers: { 'content-type': 'text/csv', 'content-length': statSync(path).size, authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });

export const reconciliationBenchmarks: Benchmark[] = [
  {
    name: 'reconciliation/1M settlement rows over HTTP',
    run: async (): Promise<BenchResult> => {
      const dir = mkdtempSync(join(tmpdir(), 'attest-bench-reconcile-'));
      const config = loadConfig({ ATTEST_MODE: 'test', LOG_LEVEL: 'silent', ATTEST_DATA_DIR: dir, ATTEST_JWT_KEYS: generateKey('bench').encoded, PORT: '0' });
      const app = await createApp(config);
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const address = app.getHttpServer().address();
        const port = typeof address === 'object' && address ? address.port : 0;
        const token = await app.get(TokenService).mint({ role: 'finance', id: 'bench' });
        const store = app.get(EventStore);
        const runner = app.get(ProjectionRunner);
        const seedStart = Date.now();
        await seed(store);
        const head = await store.headPosition();
        // Every projection catches up before the clock starts (the run would otherwise wait for them).
        while (runner.status().some((status) => status.position < head)) await new Promise((resolve) => setTimeout(resolve, 250));
        const seedSeconds = (Date.now() - seedStart) / 1000;
        const file = join(dir, 'settlement.csv');
        await writeFile(file);

        global.gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        let heapPeak = heapBefore;
        let rssPeak = process.memoryUsage().rss;
        const sampler = setInterval(() => {
          const usage = process.memoryUsage();
          heapPeak = Math.max(heapPeak, usage.heapUsed);
          rssPeak = Math.max(rssPeak, usage.rss);
        }, 50);
        const started = process.hrtime.bigint();
        const answer = await upload(port, token, file);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        clearInterval(sampler);
        if (answer.status !== 201) throw new Error(`upload answered ${answer.status}: ${answer.body.slice(0, 500)}`);
        const run = JSON.parse(answer.body) as { unmatched: number; totals: Array<{ class: string; items: number }> };
        const matched = run.totals.find((line) => line.class === 'matched')?.items ?? 0;
        if (matched !== ROWS || run.unmatched !== 0) throw new Error(`expected ${ROWS} matched, got ${matched} (unmatched ${run.unmatched})`);
        return {
          name: 'reconciliation/1M settlement rows over HTTP',
          description: `${ROWS.toLocaleString('en')}-row settlement CSV (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, rows in a different order than the ledger) streamed to POST /v1/reconciliation/runs against a ledger of ${ROWS.toLocaleString('en')} deposits (embedded SQLite, seeded and projected beforehand in ${seedSeconds.toFixed(0)} s, not timed). Timed: upload, parse and validate, staging, loading the period's ledger events, matching, internal checks, report, run events. Memory sampled every 50 ms in the API process.`,
          measurements: [
            { metric: 'reconciled end to end (all matched)', value: ROWS / seconds, unit: 'rows/s', target: { atLeast: 100_000 } },
            { metric: 'wall time', value: seconds, unit: 's' },
            { metric: 'peak heap above the pre-run heap', value: (heapPeak - heapBefore) / 2 ** 20, unit: 'MiB', note: 'the file is never held whole' },
            { metric: 'peak RSS of the process', value: rssPeak / 2 ** 20, unit: 'MiB' },
          ],
        };
      } finally {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
