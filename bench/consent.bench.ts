import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { generateKey, parseKeys, TokenService } from '@attest/auth';
import { EventRegistry, EventStore, NewEvent, SqliteEventStore, StreamAppend } from '@attest/event-store';
import { CONSENT_EVENTS, deterministicEventId, noticeTextHash, subjectStream } from '@attest/consent';
import { catalogueEvents, CREDIT_NOTICE_TEXT_V1, validCollection } from '@attest/consent/testing/fixtures';
import { BenchHttpClient } from './lib/http-client';
import { runLoad } from './lib/load';
import { ApiProcess, startApiProcess, waitCaughtUp } from './lib/api-process';
import { Benchmark, BenchResult, percentile } from './lib/report';

/**
 * Consent benchmarks over real HTTP against a separate API process on the embedded store
 * (synchronous=FULL), so the load generator and the server do not share an event loop.
 *
 * Seeding writes encoded events straight to the adapter (what the API would have written):
 * the catalogue, one consent for each of 100,000 subjects, and refused consent attempts as
 * filler until the log holds 1,000,000 events. Refused attempts are real consent-trail events
 * that the subject and partner views skip, so the API's start-up catch-up stays short.
 */
const SUBJECTS = 100_000;
/** Overridable for quick local iterations only; the recorded run uses the sizes. */
const LOG_EVENTS = Number(process.env['CONSENT_BENCH_LOG_EVENTS'] ?? 1_000_000);
const CONNECTIONS = 64;
const SHARE_SECONDS = 10;
const WARMUP_SECONDS = 2;
const TRAIL_QUERIES = 300;
const actor = 'system:bench';
const V1 = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) };

const seed = async (dataDir: string): Promise<number> => {
  const registry = new EventRegistry().register(...CONSENT_EVENTS);
  const adapter = new SqliteEventStore({ path: join(dataDir, 'events.sqlite'), synchronous: 'NORMAL' });
  const store = new EventStore(adapter, registry);
  const at = '2026-01-10T09:00:00.000Z';
  for (const event of catalogueEvents(at)) {
    const streamId = event.type === 'PurposeDefined' ? `purpose-${event.data.purposeId}` : event.type === 'RecipientDefined' ? `recipient-${event.data.recipientId}` : `notice-${event.data.noticeId}`;
    await store.append(streamId, [event], { expectedRevision: 'any', actor, recordedAt: at });
  }
  const metadata = { recordedAt: '2026-01-11T09:00:00.000Z', correlationId: uuidv7(), causationId: null, actor };
  const encode = (type: string, data: unknown, pii: unknown) => registry.encode({ type, data, pii });
  const granted = (subjectId: string): NewEvent => ({
    eventId: deterministicEventId('subject', subjectId, 'consent', 'c1'),
    type: 'ConsentGranted',
    ...encode(
      'ConsentGranted',
      {
        consentId: 'c1', subjectId, purposeId: 'credit-scoring', recipientId: 'bureau', notice: V1, language: 'en',
        dataCategories: ['credit-score', 'transactions'], sensitive: true, collection: validCollection(), grantedAt: metadata.recordedAt, expiresAt: null,
      },
      { ipPrefix: '203.0.113.0/24', userAgent: 'bench' },
    ),
    metadata,
  });
  const attemptTemplate = encode(
    'ConsentAttemptRejected',
    {
      attemptId: 'a', subjectId: 's', purposeId: 'marketing', recipientId: null, notice: V1, citedTextHash: V1.textHash,
      reasons: ['PRE_TICKED_CONSENT'], collection: validCollection({ checkboxDefault: 'checked' }), attemptedAt: metadata.recordedAt,
    },
    { ipPrefix: null, userAgent: null },
  );
  const attempt = (subjectId: string, n: number): NewEvent => ({
    eventId: uuidv7(),
    type: 'ConsentAttemptRejected',
    schemaVersion: attemptTemplate.schemaVersion,
    data: { ...attemptTemplate.data, attemptId: `a${n}`, subjectId },
    pii: attemptTemplate.pii,
    metadata,
  });
  // Round r appends the r-th event of every subject's stream, 5,000 streams per append.
  const fillerPerSubject = Math.ceil((LOG_EVENTS - SUBJECTS) / SUBJECTS);
  for (let round = 0; round <= fillerPerSubject; round++) {
    for (let from = 0; from < SUBJECTS; from += 5_000) {
      const appends: StreamAppend[] = [];
      for (let s = from; s < Math.min(from + 5_000, SUBJECTS); s++) {
        const subjectId = `u${s}`;
        appends.push({ streamId: subjectStream(subjectId), expectedRevision: round === 0 ? 'noStream' : BigInt(round - 1), events: [round === 0 ? granted(subjectId) : attempt(subjectId, round)] });
      }
      await adapter.append(appends);
    }
  }
  const head = Number(await adapter.headPosition());
  await adapter.close();
  return head;
};

export const consentBenchmarks: Benchmark[] = [
  {
    name: 'consent/share-decisions-and-trail',
    run: async (): Promise<BenchResult> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'attest-bench-consent-'));
      const key = generateKey('bench');
      const tokens = new TokenService({ issuer: 'attest', audience: 'attest-api', keys: parseKeys(key.encoded) });
      let api: ApiProcess | null = null;
      let client: BenchHttpClient | null = null;
      try {
        const started = performance.now();
        const logSize = await seed(dataDir);
        const seedSeconds = (performance.now() - started) / 1000;
        console.log(`  seeded ${logSize.toLocaleString('en')} events in ${seedSeconds.toFixed(1)} s`);
        api = await startApiProcess({ ATTEST_MODE: 'test', ATTEST_DATA_DIR: dataDir, ATTEST_JWT_KEYS: key.encoded, ATTEST_SQLITE_SYNCHRONOUS: 'FULL', ATTEST_RATE_LIMIT_WRITES_PER_MINUTE: '1000000' });
        const port = api.port;
        const partner = await tokens.mint({ role: 'partner', id: 'bureau-svc', recipientId: 'bureau' });
        const compliance = await tokens.mint({ role: 'compliance', id: 'bench' });
        const http = new BenchHttpClient(port, CONNECTIONS);
        client = http;
        await waitCaughtUp(api);

        // 1. Share decisions: 64 connections, random subjects, every decision appended (fsync'd).
        const { seconds, latencies, statuses } = await runLoad({
          connections: CONNECTIONS,
          warmupSeconds: WARMUP_SECONDS,
          seconds: SHARE_SECONDS,
          send: async (n) => {
            const subject = `u${Math.floor(Math.random() * SUBJECTS)}`;
            // Every 20th request asks for social ranking: refused (and recorded) as PURPOSE_INCOMPATIBLE.
            const purposeId = n % 20 === 0 ? 'social-ranking' : 'credit-scoring';
            const body = JSON.stringify({ shareId: `b${n}`, subjectId: subject, purposeId, dataCategories: ['credit-score'] });
            return (await http.send('POST', '/v1/recipients/bureau/shares', { authorization: `Bearer ${partner}` }, body)).status;
          },
        });
        const unexpected = [...statuses.entries()].filter(([status]) => status !== 201 && status !== 403);
        if (unexpected.length > 0) throw new Error(`unexpected statuses ${JSON.stringify(unexpected)}`);

        // 2. Consent trail of one subject out of the whole log (≥ 1,000,000 events).
        const trail: number[] = [];
        for (let i = 0; i < TRAIL_QUERIES; i++) {
          const subject = `u${Math.floor(Math.random() * SUBJECTS)}`;
          const t0 = performance.now();
          const response = await http.send('GET', `/v1/subjects/${subject}/consent-trail?reason=benchmark`, { authorization: `Bearer ${compliance}` });
          trail.push(performance.now() - t0);
          if (response.status !== 200) throw new Error(`trail answered ${response.status}`);
        }
        trail.sort((a, b) => a - b);
        const total = latencies.length;
        return {
          name: 'consent/share-decisions-and-trail',
          description:
            `Share decisions over real HTTP (separate API process, embedded store synchronous=FULL), ${CONNECTIONS} keep-alive connections, ` +
            `${SUBJECTS.toLocaleString('en')} subjects with consents, random subject per request (5% refused as PURPOSE_INCOMPATIBLE), every outcome appended; ` +
            `${SHARE_SECONDS} s measured after ${WARMUP_SECONDS} s warm-up. Then ${TRAIL_QUERIES} GET consent-trail calls (sequential) for random subjects in a log of ` +
            `${logSize.toLocaleString('en')} events. Load generator and server share the machine.`,
          measurements: [
            { metric: 'share decisions', value: total / seconds, unit: 'decisions/s', target: { atLeast: 5_000 }, note: `${statuses.get(201) ?? 0} shared, ${statuses.get(403) ?? 0} refused` },
            { metric: 'share decision p50', value: percentile(latencies, 50), unit: 'ms' },
            { metric: 'share decision p99', value: percentile(latencies, 99), unit: 'ms', target: { atMost: 25 } },
            { metric: `consent trail p50 (log of ${logSize.toLocaleString('en')} events)`, value: percentile(trail, 50), unit: 'ms' },
            { metric: 'consent trail p99', value: percentile(trail, 99), unit: 'ms', target: { atMost: 20 } },
          ],
        };
      } finally {
        await client?.close();
        await api?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  },
];
