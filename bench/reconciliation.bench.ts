import { cpSync, createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import { generateKey, parseKeys, TokenService } from '@attest/auth';
import { EventRegistry, EventStore, SqliteEventStore, StreamEvents } from '@attest/event-store';
import { LEDGER_EVENTS, walletAccount, walletStreamId } from '@attest/ledger';
import { ApiProcess, startApiProcess, startHeapSampling, stopHeapSampling, waitCaughtUp } from './lib/api-process';
import { Benchmark, BenchResult } from './lib/report';

/**
 * Reconciliation of a 1,000,000-row settlement file over real HTTP against a separate API
 * process (embedded store), so the uploading client and the server do not share an event loop.
 * The ledger is seeded before the API starts, through the event store (every event validated
 * against its schema, as the API would write it); the API then projects it on start-up, and the
 * clock starts once every projection has caught up.
 */
/** Overridable for quick local iterations only; the recorded run uses the issue's size. */
const ROWS = Number(process.env['ATTEST_BENCH_RECONCILE_ROWS'] ?? 1_000_000);
/**
 * Local iterations only: a directory keeping a copy of the seeded and projected data directory
 * (per row count), made by the first run and copied back by the next ones instead of seeding again.
 */
const SEEDED_CACHE = process.env['ATTEST_BENCH_RECONCILE_SEEDED_CACHE'];
const WALLETS_PER_APPEND = 100;
const DEPOSITS_PER_WALLET = 100;
const DAY = '2026-03-15';

const amountOf = (i: number) => `${(i % 9_000) + 1}.${String(i % 100).padStart(2, '0')}`;
const minorOf = (i: number) => BigInt((i % 9_000) + 1) * 100n + BigInt(i % 100);

/** Seeds the ledger with ROWS deposits, 100 per wallet, appended in batches of 10,000 events (not timed). */
const seed = async (dataDir: string) => {
  const store = new EventStore(new SqliteEventStore({ path: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL' }), new EventRegistry().register(...LEDGER_EVENTS));
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
            postings: [{ debit: 'processor:clearing:CNY', credit: walletAccount(`w${wallet}`, 'CNY'), amountMinor: minorOf(i) }],
          },
        });
      }
      if (events.length > 0) streams.push({ streamId: walletStreamId(`w${wallet}`, 'CNY'), expectedRevision: 'any', events });
    }
    await store.appendMulti(streams, { actor: 'bench:seed', recordedAt });
  }
  await store.close();
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
      const key = generateKey('bench');
      const tokens = new TokenService({ issuer: 'attest', audience: 'attest-api', keys: parseKeys(key.encoded) });
      let api: ApiProcess | null = null;
      try {
        const env = { ATTEST_MODE: 'test', ATTEST_DATA_DIR: dir, ATTEST_JWT_KEYS: key.encoded };
        const cached = SEEDED_CACHE === undefined ? null : join(SEEDED_CACHE, `reconciliation-${ROWS}`);
        const fromCache = cached !== null && existsSync(cached);
        const seedStart = performance.now();
        if (fromCache) cpSync(cached, dir, { recursive: true });
        else await seed(dir);
        const appendSeconds = (performance.now() - seedStart) / 1000;
        api = await startApiProcess(env, { sampleHeap: true, startTimeoutMs: 1_200_000 });
        // Every projection catches up before the clock starts (the run would otherwise wait for them).
        await waitCaughtUp(api);
        if (cached !== null && !existsSync(cached)) {
          await api.stop();
          cpSync(dir, cached, { recursive: true });
          api = await startApiProcess(env, { sampleHeap: true, startTimeoutMs: 1_200_000 });
          await waitCaughtUp(api);
        }
        const seedSeconds = (performance.now() - seedStart) / 1000;
        console.log(`  seeded ${ROWS.toLocaleString('en')} deposits in ${appendSeconds.toFixed(0)} s, projected by the API in ${(seedSeconds - appendSeconds).toFixed(0)} s`);
        const token = await tokens.mint({ role: 'finance', id: 'bench' });
        const file = join(dir, 'settlement.csv');
        await writeFile(file);

        await startHeapSampling(api);
        const started = process.hrtime.bigint();
        const answer = await upload(api.port, token, file);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const heap = await stopHeapSampling(api);
        if (answer.status !== 201) throw new Error(`upload answered ${answer.status}: ${answer.body.slice(0, 500)}`);
        const run = JSON.parse(answer.body) as { unmatched: number; totals: Array<{ class: string; items: number }> };
        const matched = run.totals.find((line) => line.class === 'matched')?.items ?? 0;
        if (matched !== ROWS || run.unmatched !== 0) throw new Error(`expected ${ROWS} matched, got ${matched} (unmatched ${run.unmatched})`);
        return {
          name: 'reconciliation/1M settlement rows over HTTP',
          description: `${ROWS.toLocaleString('en')}-row settlement CSV (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, rows in a different order than the ledger) streamed to POST /v1/reconciliation/runs of a separate API process (embedded SQLite) whose ledger holds ${ROWS.toLocaleString('en')} deposits (appended through the event store before it started, then projected by it: ${fromCache ? 'copied from the local seed cache' : `${seedSeconds.toFixed(0)} s`}, not timed). Timed: upload, parse and validate, staging, loading the period's ledger events, matching, internal checks, report, run events. Memory sampled every 50 ms in the API process.`,
          measurements: [
            { metric: 'reconciled end to end (all matched)', value: ROWS / seconds, unit: 'rows/s', target: { atLeast: 100_000 } },
            { metric: 'wall time', value: seconds, unit: 's' },
            { metric: 'peak heap above the pre-run heap', value: (heap.peak - heap.before) / 2 ** 20, unit: 'MiB', note: 'the file is never held whole' },
            { metric: 'peak RSS of the process', value: heap.rssPeak / 2 ** 20, unit: 'MiB' },
            { metric: 'CPU time of the API process', value: heap.cpuMs / 1000, unit: 's', note: 'user + system, during the timed run' },
          ],
        };
      } finally {
        await api?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
