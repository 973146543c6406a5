import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { generateKey, parseKeys, TokenService } from '@attest/auth';
import { EventMetadata, EventRegistry, EventStore, JsonObject, NewEvent, SqliteEventStore, StreamAppend, WalCheckpointer } from '@attest/event-store';
import { CONSENT_EVENTS, deterministicEventId, subjectStream } from '@attest/consent';
import { validCollection } from '@attest/consent/testing/fixtures';
import { LEDGER_EVENTS, walletAccount, walletStreamId } from '@attest/ledger';
import { PROJECTION_THREAD_YOUNG_GENERATION_MB, ProjectionRunner, projectionThreadOptions, SqliteReadModelStore } from '@attest/projection-runner';
import { CREDIT_FEATURES_PROJECTION, creditFeaturesProjection } from '@attest/projections/credit-features/credit-features.projection';
import { appendCatalogue, NOTICE_V1 } from '@attest/projections/credit-features/testing/events';
import { cpuWindow, runLoad } from './lib/load';
import { BenchHttpClient } from './lib/http-client';
import { runWrk, wrkPath } from './lib/wrk';
import { ApiProcess, apiCounter, apiCpuSeconds, apiMainThreadCpuSeconds, startApiProcess, waitCaughtUp } from './lib/api-process';
import { Benchmark, BenchResult, percentile } from './lib/report';

/**
 * Credit-features benchmarks.
 *
 * 1. Rebuild: 1,000,000 ledger events of 100,000 subjects, with consent windows (90% consent to
 *    the bureau before their activity, 5% withdraw on day 60, half of those consent again on day
 *    80, 10% never consent), written straight to the embedded store's adapter in their stored
 *    form; then the projection alone is run from position 0 to the head in this process.
 * 2. Serving over real HTTP: a separate API process (embedded store, synchronous=FULL) and this
 *    process as the client, 64 keep-alive connections; every read is a share decision appended
 *    to the subject's stream and then a read of the read model (read-your-writes on the share).
 */
const SUBJECTS = Number(process.env['CREDIT_BENCH_SUBJECTS'] ?? 100_000);
const LEDGER_EVENTS_TOTAL = Number(process.env['CREDIT_BENCH_LEDGER_EVENTS'] ?? 1_000_000);
/** The serving run uses a smaller log: the API's other projections (Merkle log, balances…) must catch up on start. */
const SERVE_SUBJECTS = 20_000;
const SERVE_LEDGER_EVENTS = 200_000;
const CONNECTIONS = 64;
const SERVE_SECONDS = 10;
const WARMUP_SECONDS = 2;
const actor = 'system:bench';
const DAY_MS = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00.000Z');
const at = (day: number) => new Date(START + day * DAY_MS).toISOString();

const metadataAt = (day: number): EventMetadata => ({ recordedAt: at(day), correlationId: uuidv7(), causationId: null, actor });

/** Stored (encoded) events built from one encoded template each: the JSON the API would have written. */
const templates = (registry: EventRegistry) => {
  const encode = (type: string, data: unknown, pii: unknown = undefined) => registry.encode({ type, data, ...(pii === undefined ? {} : { pii }) });
  const id = uuidv4();
  const tip = encode('TipSent', {
    entryId: id, payerId: 'a', payeeId: 'b', currency: 'CNY', amountMinor: 1000n, feeMinor: 50n, netMinor: 950n, commissionBasisPoints: 500,
    postings: [{ debit: walletAccount('a', 'CNY'), credit: walletAccount('b', 'CNY'), amountMinor: 950n }, { debit: walletAccount('a', 'CNY'), credit: 'platform:commission:CNY', amountMinor: 50n }],
  });
  const received = encode('TipReceived', { entryId: id, payerId: 'a', payeeId: 'b', currency: 'CNY', netMinor: 950n });
  const deposit = encode('FundsDeposited', {
    entryId: id, userId: 'a', currency: 'CNY', amountMinor: 100_000n, externalReference: 'psp-x', postings: [{ debit: 'processor:clearing:CNY', credit: walletAccount('a', 'CNY'), amountMinor: 100_000n }],
  });
  const granted = encode(
    'ConsentGranted',
    { consentId: 'c1', subjectId: 's', purposeId: 'credit-scoring', recipientId: 'bureau', notice: NOTICE_V1, language: 'en', dataCategories: ['credit-score', 'transactions'], sensitive: true, collection: validCollection(), grantedAt: at(0), expiresAt: null },
    { ipPrefix: '203.0.113.0/24', userAgent: 'bench' },
  );
  const withdrawn = encode('ConsentWithdrawn', { withdrawalId: 'w1', consentId: 'c1', subjectId: 's', purposeId: 'credit-scoring', recipientId: 'bureau', notice: NOTICE_V1, scope: 'consent', withdrawnAt: at(0) });
  const event = (template: { schemaVersion: number; data: JsonObject; pii: JsonObject | null }, type: string, data: JsonObject, metadata: EventMetadata, eventId = uuidv7()): NewEvent => ({
    eventId, type, schemaVersion: template.schemaVersion, data: { ...template.data, ...data }, pii: template.pii, metadata,
  });
  return {
    tipPair: (payer: string, payee: string, amountMinor: bigint, metadata: EventMetadata): [NewEvent, NewEvent] => {
      const entryId = uuidv4();
      const fee = (amountMinor * 500n) / 10_000n;
      const net = amountMinor - fee;
      return [
        event(tip, 'TipSent', {
          entryId, payerId: payer, payeeId: payee, amountMinor: amountMinor.toString(), feeMinor: fee.toString(), netMinor: net.toString(),
          postings: [
            { debit: walletAccount(payer, 'CNY'), credit: walletAccount(payee, 'CNY'), amountMinor: net.toString() },
            { debit: walletAccount(payer, 'CNY'), credit: 'platform:commission:CNY', amountMinor: fee.toString() },
          ],
        }, metadata),
        event(received, 'TipReceived', { entryId, payerId: payer, payeeId: payee, netMinor: net.toString() }, metadata),
      ];
    },
    deposit: (userId: string, metadata: EventMetadata): NewEvent => {
      const entryId = uuidv4();
      return event(deposit, 'FundsDeposited', { entryId, userId, externalReference: `psp-${entryId}`, postings: [{ debit: 'processor:clearing:CNY', credit: walletAccount(userId, 'CNY'), amountMinor: '100000' }] }, metadata);
    },
    granted: (subjectId: string, consentId: string, metadata: EventMetadata): NewEvent =>
      event(granted, 'ConsentGranted', { consentId, subjectId, grantedAt: metadata.recordedAt }, metadata, deterministicEventId('subject', subjectId, 'consent', consentId)),
    withdrawn: (subjectId: string, consentId: string, metadata: EventMetadata): NewEvent =>
      event(withdrawn, 'ConsentWithdrawn', { withdrawalId: `w-${consentId}`, consentId, subjectId, withdrawnAt: metadata.recordedAt }, metadata),
  };
};

/**
 * Seeds the log: catalogue, consents on day 0, then rounds of ledger activity spread over 120
 * days (round 0: a deposit each; later rounds: a tip to another subject, i.e. TipSent on the
 * payer's wallet and TipReceived on the payee's), withdrawals on day 60 and re-consents on day 80.
 */
export const seed = async (dataDir: string, subjects: number, ledgerEvents: number): Promise<{ head: number; ledger: number; consent: number }> => {
  const registry = new EventRegistry().register(...CONSENT_EVENTS, ...LEDGER_EVENTS);
  const adapter = new SqliteEventStore({ path: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL' });
  await appendCatalogue(new EventStore(adapter, registry), at(0));
  const make = templates(registry);
  const subject = (s: number) => `u${s}`;
  let ledger = 0;
  let consent = 0;
  const consents: StreamAppend[] = [];
  for (let s = 0; s < subjects; s++) if (s % 10 !== 9) consents.push({ streamId: subjectStream(subject(s)), expectedRevision: 'any', events: [make.granted(subject(s), 'c1', metadataAt(0))] });
  for (let from = 0; from < consents.length; from += 5_000) await adapter.append(consents.slice(from, from + 5_000));
  consent += consents.length;
  // Each round after the first writes two ledger events per subject (a tip and its mirror).
  const rounds = 1 + Math.ceil((ledgerEvents - subjects) / (2 * subjects));
  for (let round = 0; round < rounds && ledger < ledgerEvents; round++) {
    const day = 1 + Math.floor((round * 118) / rounds);
    const metadata = metadataAt(day);
    const appends: StreamAppend[] = [];
    for (let s = 0; s < subjects && ledger < ledgerEvents; s++) {
      if (round === 0) {
        appends.push({ streamId: walletStreamId(subject(s), 'CNY'), expectedRevision: 'any', events: [make.deposit(subject(s), metadata)] });
        ledger += 1;
      } else {
        const payee = subject((s + round) % subjects);
        const [sent, received] = make.tipPair(subject(s), payee, BigInt(100 + ((s * 7 + round) % 5_000)), metadata);
        appends.push({ streamId: walletStreamId(subject(s), 'CNY'), expectedRevision: 'any', events: [sent] });
        appends.push({ streamId: walletStreamId(payee, 'CNY'), expectedRevision: 'any', events: [received] });
        ledger += 2;
      }
      if (appends.length >= 5_000) await adapter.append(appends.splice(0, appends.length));
    }
    if (appends.length > 0) await adapter.append(appends);
    const next = 1 + Math.floor(((round + 1) * 118) / rounds);
    // Consent changes between rounds, at their own instants: 5% withdraw on day 60, half of them come back on day 80.
    for (const [changeDay, kind] of [[60, 'withdraw'], [80, 'regrant']] as const) {
      if (day < changeDay && next >= changeDay) {
        const changes: StreamAppend[] = [];
        for (let s = 0; s < subjects; s += 20) {
          if (s % 10 === 9 || (kind === 'regrant' && s % 40 !== 0)) continue;
          const event = kind === 'withdraw' ? make.withdrawn(subject(s), 'c1', metadataAt(changeDay)) : make.granted(subject(s), 'c2', metadataAt(changeDay));
          changes.push({ streamId: subjectStream(subject(s)), expectedRevision: 'any', events: [event] });
        }
        await adapter.append(changes);
        consent += changes.length;
      }
    }
  }
  const head = Number(await adapter.headPosition());
  await adapter.close();
  return { head, ledger, consent };
};

export const rebuild = async (dataDir: string) => {
  const registry = new EventRegistry().register(...CONSENT_EVENTS, ...LEDGER_EVENTS);
  const store = new EventStore(new SqliteEventStore({ path: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL' }), registry);
  // As in the API: the read model's WAL checkpoints run on the checkpointer thread, not inside the
  // projection's commits (store.factory.ts; on the projection worker, the API thread's checkpointer).
  const readModels = new SqliteReadModelStore(join(dataDir, 'bench-read-models.sqlite'), { checkpointer: WalCheckpointer.shared() });
  const runner = new ProjectionRunner(store, readModels).register(creditFeaturesProjection);
  const head = await store.headPosition();
  const started = performance.now();
  await runner.start();
  await runner.waitFor(CREDIT_FEATURES_PROJECTION, head, 30_000).catch(async function wait(): Promise<void> {
    // waitFor is bounded at 30 s per call; a slow machine simply waits again.
    return runner.waitFor(CREDIT_FEATURES_PROJECTION, head, 30_000).catch(wait);
  });
  const seconds = (performance.now() - started) / 1000;
  const rows = await readModels.query.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM credit_feature_contributions');
  await runner.stop();
  await store.close();
  await readModels.close();
  return { seconds, rows: Number(rows?.n ?? 0n) };
};

/**
 * Runs `rebuild` on a thread of its own, started with the options the API gives its projection
 * worker, where the API runs rebuilds (ADR 0021; `projectionThreadOptions`).
 */
const rebuildOnProjectionThread = (dataDir: string): Promise<{ seconds: number; rows: number }> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'lib', 'credit-features-rebuild.worker.ts'), { workerData: { dataDir }, ...projectionThreadOptions(__filename) });
    let settled = false;
    worker.once('message', (message: { seconds: number; rows: number } | { error: string }) => {
      settled = true;
      // Its heap goes before the next benchmark runs in this process.
      void worker.terminate();
      if ('error' in message) reject(new Error(`the rebuild failed: ${message.error}`));
      else resolve(message);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the rebuild thread exited (code ${code}) without a result`));
    });
  });

/** What a serving run measured, whichever load generator ran it. */
interface ReadsMeasured {
  generator: string;
  seconds: number;
  requests: number;
  statuses: Map<number, number>;
  p50: number;
  p99: number;
  p999: number;
  serverMicros: number;
  mainThreadMicros: number | null;
  clientMicros: number;
  loads: number;
}

/** Subjects' consent states the API read from its store instead of its cache (first sight of a subject since start), from its own metrics. */
const storeLoads = async (api: ApiProcess): Promise<number> =>
  (await apiCounter(api, 'attest_decider_state_loads_total', /decider="consent-subject",source="(store)"/)).get('store') ?? 0;

/** The API's answers to feature reads so far, by status (its own request counter). */
const readStatuses = async (api: ApiProcess): Promise<Map<string, number>> =>
  apiCounter(api, 'attest_http_requests_total', /route="\/v1\/credit-features\/:subjectId",status="(\d+)"/);

/** One read per request: a random subject of the seeded ones; every 20th declares social ranking (refused, and recorded, as PURPOSE_INCOMPATIBLE). */
const READS_LUA = `
local subjects = tonumber(os.getenv("ATTEST_BENCH_SUBJECTS"))
local authorization = "Bearer " .. os.getenv("ATTEST_BENCH_TOKEN")
local n = 0
math.randomseed(os.time())
request = function()
  n = n + 1
  local purpose = (n % 20 == 0) and "social-ranking" or "credit-scoring"
  return wrk.format("GET", "/v1/credit-features/u" .. math.random(0, subjects - 1) .. "?purpose=" .. purpose, { ["authorization"] = authorization })
end
`;

/**
 * The reads driven by wrk (bench/lib/wrk.ts): a warm-up run, then the measured one. Statuses come
 * from the API's request counter over the measured run (wrk only counts non-2xx answers).
 */
const readsWithWrk = async (api: ApiProcess, token: string): Promise<ReadsMeasured> => {
  const load = { url: `http://127.0.0.1:${api.port}`, connections: CONNECTIONS, script: READS_LUA, env: { ATTEST_BENCH_SUBJECTS: String(SERVE_SUBJECTS), ATTEST_BENCH_TOKEN: token } };
  await runWrk({ ...load, seconds: WARMUP_SECONDS });
  const cpu = cpuWindow(() => apiCpuSeconds(api), () => apiMainThreadCpuSeconds(api));
  const loadsBefore = await storeLoads(api);
  const statusesBefore = await readStatuses(api);
  await cpu.start();
  const run = await runWrk({ ...load, seconds: SERVE_SECONDS });
  const { serverMicros, mainThreadMicros } = await cpu.perRequest(run.requests);
  const loads = (await storeLoads(api)) - loadsBefore;
  const statuses = new Map<number, number>();
  for (const [status, count] of await readStatuses(api)) statuses.set(Number(status), count - (statusesBefore.get(status) ?? 0));
  if (run.socketErrors > 0) throw new Error(`wrk reported ${run.socketErrors} connect/read/write/timeout errors`);
  return { generator: 'wrk (one thread)', seconds: run.seconds, requests: run.requests, statuses, p50: run.p50, p99: run.p99, p999: run.p999, serverMicros, mainThreadMicros, clientMicros: run.clientMicros, loads };
};

/** The same reads from this process with undici, where wrk is not installed. */
const readsWithUndici = async (api: ApiProcess, token: string): Promise<ReadsMeasured> => {
  const http = new BenchHttpClient(api.port, CONNECTIONS);
  try {
    const cpu = cpuWindow(() => apiCpuSeconds(api), () => apiMainThreadCpuSeconds(api));
    let loads = 0;
    const { seconds, latencies, statuses } = await runLoad({
      connections: CONNECTIONS,
      warmupSeconds: WARMUP_SECONDS,
      seconds: SERVE_SECONDS,
      onMeasuringStart: async () => {
        loads = -(await storeLoads(api));
        await cpu.start();
      },
      onMeasuringEnd: async () => {
        loads += await storeLoads(api);
      },
      send: async (n) => {
        const subject = `u${Math.floor(Math.random() * SERVE_SUBJECTS)}`;
        const purpose = n % 20 === 0 ? 'social-ranking' : 'credit-scoring';
        return (await http.send('GET', `/v1/credit-features/${subject}?purpose=${purpose}`, { authorization: `Bearer ${token}` })).status;
      },
    });
    const { serverMicros, mainThreadMicros, clientMicros } = await cpu.perRequest(latencies.length);
    return {
      generator: 'undici in the benchmark process (wrk is not installed)',
      seconds,
      requests: latencies.length,
      statuses,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      p999: percentile(latencies, 99.9),
      serverMicros,
      mainThreadMicros,
      clientMicros,
      loads,
    };
  } finally {
    await http.close();
  }
};

export const creditFeaturesBenchmarks: Benchmark[] = [
  {
    name: 'credit-features/rebuild',
    run: async (): Promise<BenchResult> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'attest-bench-credit-'));
      try {
        let started = performance.now();
        const seeded = await seed(dataDir, SUBJECTS, LEDGER_EVENTS_TOTAL);
        console.log(`  seeded ${seeded.head.toLocaleString('en')} events (${seeded.ledger.toLocaleString('en')} ledger, ${seeded.consent.toLocaleString('en')} consent) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        started = performance.now();
        const result = await rebuildOnProjectionThread(dataDir);
        const handled = seeded.ledger + seeded.consent;
        return {
          name: 'credit-features/rebuild',
          description:
            `Projection rebuilt from position 0 (runner on a worker thread with the API projection worker's young generation, ${PROJECTION_THREAD_YOUNG_GENERATION_MB} MB; embedded store; read model in SQLite with its WAL checkpoints on the checkpointer thread, as in the API) over ${seeded.ledger.toLocaleString('en')} ledger events ` +
            `of ${SUBJECTS.toLocaleString('en')} subjects plus ${seeded.consent.toLocaleString('en')} consent events (90% consented before their activity, 5% withdrew on day 60, ` +
            `half of those consented again on day 80) and the catalogue; ${result.rows.toLocaleString('en')} contributions kept. Every event is read from the store and parsed; ` +
            `ledger events are read from their stored JSON (the fields used re-checked against the schemas, a full zod decode otherwise), consent and catalogue events are decoded with zod.`,
          measurements: [
            { metric: 'rebuild throughput', value: handled / result.seconds, unit: 'events/s', target: { atLeast: 100_000 }, note: `${result.seconds.toFixed(1)} s for ${handled.toLocaleString('en')} handled events` },
          ],
        };
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'credit-features/serve-http',
    run: async (): Promise<BenchResult> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'attest-bench-credit-http-'));
      const key = generateKey('bench');
      const tokens = new TokenService({ issuer: 'attest', audience: 'attest-api', keys: parseKeys(key.encoded) });
      let api: ApiProcess | null = null;
      try {
        const seeded = await seed(dataDir, SERVE_SUBJECTS, SERVE_LEDGER_EVENTS);
        const started = performance.now();
        api = await startApiProcess({ ATTEST_MODE: 'test', ATTEST_DATA_DIR: dataDir, ATTEST_JWT_KEYS: key.encoded, ATTEST_SQLITE_SYNCHRONOUS: 'FULL', ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: '1000000' });
        const partner = await tokens.mint({ role: 'partner', id: 'bureau-svc', recipientId: 'bureau' });
        await waitCaughtUp(api);
        console.log(`  API ready (all projections caught up on ${seeded.head.toLocaleString('en')} events) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        const reads = wrkPath() === null ? await readsWithUndici(api, partner) : await readsWithWrk(api, partner);
        const unexpected = [...reads.statuses.entries()].filter(([status]) => status !== 200 && status !== 403);
        if (unexpected.length > 0) throw new Error(`unexpected statuses ${JSON.stringify(unexpected)}`);
        return {
          name: 'credit-features/serve-http',
          description:
            `GET /v1/credit-features/:subjectId over real HTTP: separate API process (embedded store synchronous=FULL, ${seeded.head.toLocaleString('en')} events, ` +
            `${SERVE_SUBJECTS.toLocaleString('en')} subjects, ATTEST_PROJECTIONS=${process.env['ATTEST_PROJECTIONS'] ?? 'worker (the default: projections and the feature query on the API\'s projection worker thread)'}), ` +
            `load generator ${reads.generator} with ${CONNECTIONS} keep-alive connections (closed loop, one request in flight per connection), random subject per request, 5% social-ranking ` +
            `(403 PURPOSE_INCOMPATIBLE, recorded). Every read appends its share decision (fsync'd group commit) and waits for the projection to pass it. ` +
            `${SERVE_SECONDS} s measured after ${WARMUP_SECONDS} s warm-up; client and server share the machine.`,
          measurements: [
            { metric: 'feature reads', value: reads.requests / reads.seconds, unit: 'requests/s', target: { atLeast: 5_000 }, note: `${reads.statuses.get(200) ?? 0} served, ${reads.statuses.get(403) ?? 0} refused` },
            { metric: 'read p50', value: reads.p50, unit: 'ms' },
            { metric: 'read p99', value: reads.p99, unit: 'ms', target: { atMost: 25 } },
            { metric: 'read p99.9', value: reads.p999, unit: 'ms' },
            // Where the two cores went (as in ledger/tips): the API's CPU time per read, all its
            // threads, and the load generator's, over the measuring window.
            { metric: 'API CPU time per read', value: reads.serverMicros, unit: 'µs' },
            // The one thread that saturates first: 5,000 reads/s leaves it 200 µs per read at 100% busy (ADR 0020).
            ...(reads.mainThreadMicros === null ? [] : [{ metric: "API main thread (event loop) CPU time per read", value: reads.mainThreadMicros, unit: 'µs' }]),
            { metric: 'load generator CPU time per read', value: reads.clientMicros, unit: 'µs' },
            // Reads of a subject the API had not seen since it started: its consent stream read
            // from the store and folded (a cold load), not taken from the executor's cache.
            { metric: "reads that loaded the subject's consent state from the store", value: (100 * reads.loads) / reads.requests, unit: '%', note: `${reads.loads.toLocaleString('en')} loads` },
          ],
        };
      } finally {
        await api?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  },
];
