import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { StoredEvent } from '@attest/event-store';
import { AuditBundle, describePublicKey, entryEnvelopeOf, entryOfStoredEvent, signCheckpoint, toBase64, verifyBundle } from '@attest/audit/verify';
import { MemoryTree } from '@attest/merkle';
import { PROJECTION_BATCH_SIZE, SqliteReadModelStore } from '@attest/projection-runner';
import { MerkleLogReader, merkleLogProjection } from '@attest/projections/merkle-log';
import { Benchmark, BenchResult, percentile } from './lib/report';

/** A consent-like stored event of ~680 bytes of canonical JSON. */
const storedEvent = (i: number, streamId = `subject-s${i % 5_000}`, revision = BigInt(Math.floor(i / 5_000))): StoredEvent => ({
  eventId: uuidv7(),
  streamId,
  streamRevision: revision,
  globalPosition: BigInt(i + 1),
  type: 'ConsentGranted',
  schemaVersion: 1,
  data: {
    consentId: `c-${i}`,
    purposeId: 'credit-scoring',
    recipientIds: ['partner-1'],
    notice: { noticeId: 'privacy', version: '3', textHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
    checkboxDefault: 'unticked',
    action: 'ticked-and-submitted',
    channel: 'app',
  },
  pii: { ciphertext: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', keyId: 'k1' },
  metadata: { recordedAt: new Date(1_700_000_000_000 + i).toISOString(), correlationId: uuidv7(), causationId: null, actor: `subject:s${i % 5_000}` },
});

/** Leaves appended (and the proof size); fewer for quick iteration only, reports use the default. */
const LEAVES = Number(process.env['ATTEST_BENCH_AUDIT_LEAVES'] ?? 1_000_000);

/** The projection runner's batch: one read-model transaction each (the runner adds its checkpoint row). */
const BATCH = PROJECTION_BATCH_SIZE;

const appendLeaves = async (readModels: SqliteReadModelStore, events: StoredEvent[]) => {
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    // Exactly what the runner does with a batch of a projection that has applyBatch.
    await readModels.transaction(async (tx) => {
      if (!merkleLogProjection.applyBatch) throw new Error('merkle-log has no applyBatch');
      await merkleLogProjection.applyBatch(batch, tx);
    });
  }
};

const timeEach = async (runs: number, work: (i: number) => Promise<unknown>) => {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work(i);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
};

export const auditBenchmarks: Benchmark[] = [
  {
    name: 'audit/merkle-log',
    run: async (): Promise<BenchResult> => {
      const measurements: BenchResult['measurements'] = [];
      const dir = mkdtempSync(join(tmpdir(), 'attest-bench-audit-'));
      const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
      try {
        const schema = merkleLogProjection.schema;
        for (const ddl of typeof schema === 'function' ? schema('sqlite') : schema) await readModels.exec(ddl);
        const leaves = LEAVES;
        // 1. Appends: canonical JSON, SHA-256, leaf row + leaf hash + completed stored nodes written, one transaction per runner batch.
        // Events are built before the clock starts (they come from the store in real life).
        let appended = 0;
        let appendSeconds = 0;
        for (let from = 0; from < leaves; from += 100_000) {
          const chunk = Math.min(100_000, leaves - from);
          const events = Array.from({ length: chunk }, (_, i) => storedEvent(from + i));
          const started = performance.now();
          await appendLeaves(readModels, events);
          appendSeconds += (performance.now() - started) / 1000;
          appended += chunk;
        }
        measurements.push({ metric: `append leaves to the log projection (${appended.toLocaleString('en')} leaves, ${BATCH.toLocaleString('en')} per transaction)`, value: appended / appendSeconds, unit: 'leaves/s', target: { atLeast: 100_000 } });

        // 2. Proofs at 1,000,000 leaves, from the read model (one batched node read each).
        const reader = new MerkleLogReader(readModels.query);
        const size = await reader.size();
        if (size !== leaves) throw new Error(`expected ${leaves} leaves, got ${size}`);
        const random = (n: number) => Math.floor(Math.random() * n);
        const inclusion = await timeEach(2_000, () => reader.inclusionProof(random(size), size));
        measurements.push({ metric: `inclusion proof generation at ${size.toLocaleString('en')} leaves (p50 ${inclusion[1_000]?.toFixed(3)} ms, 2,000 random leaves)`, value: percentile(inclusion, 99), unit: 'ms p99', target: { atMost: 2 } });
        const consistency = await timeEach(2_000, () => reader.consistencyProof(1 + random(size - 1), size));
        measurements.push({ metric: `consistency proof generation to ${size.toLocaleString('en')} leaves (p50 ${consistency[1_000]?.toFixed(3)} ms, 2,000 random first sizes)`, value: percentile(consistency, 99), unit: 'ms p99', target: { atMost: 2 } });
      } finally {
        await readModels.close();
        rmSync(dir, { recursive: true, force: true });
      }

      // 3. Offline verification of a 10,000-event bundle (checkpoint over 100,000 leaves).
      const total = 100_000;
      const subjectEvents = 10_000;
      const tree = new MemoryTree();
      const all: StoredEvent[] = [];
      for (let i = 0; i < total; i++) {
        // Every tenth event is the subject's, revisions 0..9,999.
        const event = i % 10 === 0 ? storedEvent(i, 'subject-bench', BigInt(i / 10)) : storedEvent(i);
        all.push(event);
        tree.appendEntry(entryOfStoredEvent(event));
      }
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const key = describePublicKey('attest.bench/log', publicKey);
      const checkpoint = signCheckpoint({ origin: 'attest.bench/log', treeSize: total, rootHash: toBase64(tree.root()), timestamp: new Date().toISOString() }, privateKey, key);
      const bundle: AuditBundle = {
        format: 'attest.audit-bundle',
        version: 1,
        bundleId: uuidv7(),
        generatedAt: new Date().toISOString(),
        subjectId: 'bench',
        streamId: 'subject-bench',
        range: { from: null, to: null },
        checkpoint,
        publicKeys: [key],
        events: all
          .filter((e) => e.streamId === 'subject-bench')
          .map((e) => ({ leafIndex: Number(e.globalPosition) - 1, event: entryEnvelopeOf(e), inclusionProof: tree.inclusionProof(Number(e.globalPosition) - 1).map(toBase64) })),
        notices: [],
        consistencyProofs: [],
      };
      // Verify from the JSON text, as the CLI does (parse included).
      const text = JSON.stringify(bundle);
      const started = performance.now();
      const report = verifyBundle(JSON.parse(text));
      const seconds = (performance.now() - started) / 1000;
      // Citations point at a notice the synthetic bundle does not carry: only those may fail.
      const unexpected = report.failures.filter((f) => f.code !== 'NOTICE_MISSING');
      if (report.eventsVerified !== subjectEvents || unexpected.length > 0) throw new Error(`bundle did not verify: ${JSON.stringify(unexpected.slice(0, 3))}`);
      measurements.push({ metric: `verify a bundle of ${subjectEvents.toLocaleString('en')} events (${(text.length / 2 ** 20).toFixed(1)} MiB JSON, parse + schema + signature + every proof)`, value: seconds, unit: 's', target: { atMost: 2 } });

      return {
        name: 'audit/merkle-log',
        description:
          `Merkle log (RFC 9162) over ~680-byte consent-like events: appending ${LEAVES.toLocaleString('en')} leaves through the projection into a SQLite read model (RFC 8785 entry, SHA-256, nodes written; ${BATCH.toLocaleString('en')} per transaction); inclusion and consistency proofs at ${LEAVES.toLocaleString('en')} leaves read from that read model; offline verification of a 10,000-event audit bundle.`,
        measurements,
      };
    },
  },
];
