import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AttestConfig } from '@attest/config';
import { EventStore, StoredEvent } from '@attest/event-store';
import {
  AuditBundle,
  AuditBundleExported,
  auditExportsStreamId,
  BUNDLE_EVENTS_MAX,
  BUNDLE_FORMAT,
  BUNDLE_NOTICES_MAX,
  BUNDLE_VERSION,
  citedNotice,
  ConsistencyProofEntry,
  entryEnvelopeOf,
  isCitedNoticeVersion,
  NoticeCitation,
  noticeStreamId,
  ProvenEvent,
  toBase64,
} from '@attest/audit';
import { ProblemException } from '@attest/http';
import { ProjectionRunner } from '@attest/projection-runner';
import { MERKLE_LOG, MerkleLogReader } from '@attest/projections/merkle-log';
import { ATTEST_CONFIG } from '../infrastructure/infrastructure.module';
import { CheckpointService } from './checkpoint.service';
import { subjectStreamId } from './subject-streams';

export interface BundleRequest {
  subjectId: string;
  reason: string;
  from: string | null;
  to: string | null;
  consistencyFrom: number[];
  actor: string;
}

/** Upper bound of events read from one notice stream to find a cited version. */
const NOTICE_STREAM_READ_MAX = 10_000;

/**
 * Builds a subject's audit bundle (docs/audit-bundle-format.md): their stream's events in the
 * range, the notice versions those events cite, each with an inclusion proof against ONE signed
 * checkpoint that covers them all, and records that the bundle was served.
 */
@Injectable()
export class BundleService {
  constructor(
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly reader: MerkleLogReader,
    private readonly checkpoints: CheckpointService,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
  ) {}

  async export(request: BundleRequest): Promise<AuditBundle> {
    const streamId = subjectStreamId(request.subjectId);
    const events: StoredEvent[] = [];
    for await (const event of this.store.adapter.readStream(streamId, { limit: BUNDLE_EVENTS_MAX + 1 })) {
      const at = event.metadata.recordedAt;
      if ((request.from && at < request.from) || (request.to && at >= request.to)) continue;
      events.push(event);
    }
    if (events.length > BUNDLE_EVENTS_MAX)
      throw new ProblemException('VALIDATION_FAILED', `more than ${BUNDLE_EVENTS_MAX} events: narrow the time range with from/to`, {
        errors: [{ path: 'body.from', code: 'too_many_events', message: `a bundle holds at most ${BUNDLE_EVENTS_MAX} events` }],
      });
    if (events.length === 0 && (await this.store.streamRevision(streamId)) === 'noStream')
      throw new ProblemException('NOT_FOUND', `no consent trail for subject ${request.subjectId}`);
    const notices = await this.citedNotices(events);

    // Every event must be a leaf, and one checkpoint must cover them all.
    const head = await this.store.headPosition();
    await this.runner.waitFor(MERKLE_LOG, head, this.config.readYourWritesTimeoutMs);
    const leaves = await Promise.all(
      [...events, ...notices].map(async (event) => {
        const leaf = await this.reader.leafByPosition(event.globalPosition);
        if (!leaf) throw new Error(`event at position ${event.globalPosition} is stored but not in the log`);
        return leaf.leafIndex;
      }),
    );
    const checkpoint = await this.checkpoints.covering(Math.max(0, ...leaves.map((i) => i + 1)));
    const prove = async (event: StoredEvent, leafIndex: number): Promise<ProvenEvent> => ({
      leafIndex,
      event: entryEnvelopeOf(event),
      inclusionProof: (await this.reader.inclusionProof(leafIndex, checkpoint.treeSize)).map(toBase64),
    });
    const proven: ProvenEvent[] = [];
    for (const [i, event] of [...events, ...notices].entries()) proven.push(await prove(event, leaves[i] ?? -1));

    const consistencyProofs: ConsistencyProofEntry[] = [];
    for (const fromTreeSize of request.consistencyFrom) {
      if (fromTreeSize > checkpoint.treeSize)
        throw new ProblemException('TREE_SIZE_OUT_OF_RANGE', `consistencyFrom ${fromTreeSize} is beyond the checkpoint's ${checkpoint.treeSize} leaves`);
      const proof = await this.reader.consistencyProof(fromTreeSize, checkpoint.treeSize);
      consistencyProofs.push({ fromTreeSize, toTreeSize: checkpoint.treeSize, proof: proof.map(toBase64) });
    }

    const bundle: AuditBundle = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      bundleId: uuidv7(),
      generatedAt: new Date().toISOString(),
      subjectId: request.subjectId,
      streamId,
      range: { from: request.from, to: request.to },
      checkpoint,
      publicKeys: this.checkpoints.publicKeys().filter((k) => k.origin === checkpoint.origin),
      events: proven.slice(0, events.length),
      notices: proven.slice(events.length),
      consistencyProofs,
    };
    // Served only once the export is on record (who: the actor, whose: the subject, when, why).
    await this.store.append(
      auditExportsStreamId(request.subjectId),
      [
        {
          type: AuditBundleExported.type,
          data: {
            subjectId: request.subjectId,
            bundleId: bundle.bundleId,
            treeSize: checkpoint.treeSize,
            eventCount: bundle.events.length,
            noticeCount: bundle.notices.length,
            from: request.from,
            to: request.to,
          },
          pii: { reason: request.reason },
        },
      ],
      { expectedRevision: 'any', actor: request.actor },
    );
    return bundle;
  }

  /** The notice-version events the subject's events cite, once each, in log order. */
  private async citedNotices(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const citations = new Map<string, NoticeCitation>();
    for (const event of events) {
      const citation = citedNotice(entryEnvelopeOf(event));
      if (citation) citations.set(`${citation.noticeId}\u0000${citation.version}`, citation);
    }
    if (citations.size > BUNDLE_NOTICES_MAX) throw new ProblemException('VALIDATION_FAILED', `the events cite more than ${BUNDLE_NOTICES_MAX} notice versions`);
    const found = new Map<bigint, StoredEvent>();
    for (const citation of citations.values()) {
      for await (const event of this.store.adapter.readStream(noticeStreamId(citation.noticeId), { limit: NOTICE_STREAM_READ_MAX })) {
        if (isCitedNoticeVersion(entryEnvelopeOf(event), citation)) {
          found.set(event.globalPosition, event);
          break;
        }
      }
      // A citation with no published version stays out of the bundle: the verifier reports it.
    }
    return [...found.values()].sort((a, b) => (a.globalPosition < b.globalPosition ? -1 : 1));
  }
}
