import type { EventStore, RecordedEvent } from '@attest/event-store';
import {
  CatalogueState,
  ConsentRecord,
  evolveSubject,
  initialSubjectState,
  noticeCoverage,
  NoticeReference,
  noticeVersion,
  SUBJECT_EVENT_TYPES,
  SubjectState,
  SubjectStreamEvent,
  subjectStream,
} from '@attest/consent';

/**
 * The consent trail for compliance: every consent-related event of one subject, in order, each
 * with the notice version it cites, and "what was in force at instant T" computed by replaying
 * the subject's stream up to T with the same `evolve` the decider uses. It is a projection
 * computed on demand from the subject's stream rather than a stored table: the stream is the
 * source of truth and is read by its index, so the answer is exact (no lag) and a replay of
 * the whole log up to T gives the same state by construction (the test checks it).
 */
export const TRAIL_EVENTS_MAX = 100_000;

export interface TrailEntry {
  position: string;
  revision: string;
  eventId: string;
  type: string;
  recordedAt: string;
  actor: string;
  notice: NoticeReference | null;
  data: unknown;
}

export interface InForceConsent {
  consentId: string;
  consentEventId: string;
  purposeId: string;
  recipientId: string | null;
  notice: NoticeReference;
  grantedAt: string;
  expiresAt: string | null;
  /** False when a notice version published by then changed this consent's scope (PIPL Art. 14). */
  noticeScopeCurrent: boolean;
}

const subjectTypes = new Set<string>(SUBJECT_EVENT_TYPES);

/** Consents in force in a replayed state at an instant: granted, not withdrawn, not expired then. */
export const consentsInForce = (state: SubjectState, catalogue: CatalogueState, at: string): InForceConsent[] =>
  [...state.consents.values()]
    .filter((c: ConsentRecord) => c.withdrawn === null && (c.expiresAt === null || at < c.expiresAt))
    .map((c) => ({
      consentId: c.consentId,
      consentEventId: c.eventId,
      purposeId: c.purposeId,
      recipientId: c.recipientId,
      notice: c.notice,
      grantedAt: c.grantedAt,
      expiresAt: c.expiresAt,
      noticeScopeCurrent: noticeCoverage(catalogue, c.notice, { purposeId: c.purposeId, recipientId: c.recipientId, dataCategories: [] }, at) === 'covered',
    }));

/** Folds subject events recorded at or before `asOf` (all of them when undefined). */
export const replaySubject = (events: Iterable<RecordedEvent>, asOf?: string): SubjectState => {
  let state = initialSubjectState();
  for (const event of events) {
    if (!subjectTypes.has(event.type)) continue;
    if (asOf !== undefined && event.metadata.recordedAt > asOf) break;
    state = evolveSubject(state, event as unknown as SubjectStreamEvent);
  }
  return state;
};

export const readConsentTrail = async (store: EventStore, catalogue: CatalogueState, subjectId: string, asOf?: string) => {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(subjectStream(subjectId), { limit: TRAIL_EVENTS_MAX })) {
    // Stream order is recording order, so the first event after the instant ends the replay.
    if (asOf !== undefined && event.metadata.recordedAt > asOf) break;
    events.push(event);
  }
  const state = replaySubject(events);
  const at = asOf ?? new Date().toISOString();
  const cited = new Map<string, NoticeReference>();
  const entries: TrailEntry[] = events.map((event) => {
    const data = event.data as { notice?: NoticeReference | null };
    const notice = data.notice ?? null;
    if (notice) cited.set(`${notice.noticeId}@${notice.version}`, notice);
    return {
      position: event.globalPosition.toString(),
      revision: event.streamRevision.toString(),
      eventId: event.eventId,
      type: event.type,
      recordedAt: event.metadata.recordedAt,
      actor: event.metadata.actor,
      notice,
      data: event.data,
    };
  });
  const notices = [...cited.values()].map((reference) => {
    const version = noticeVersion(catalogue, reference.noticeId, reference.version);
    return {
      ...reference,
      language: version?.language ?? null,
      publishedAt: version?.publishedAt ?? null,
      text: version?.text ?? null,
    };
  });
  return { subjectId, asOf: asOf ?? null, inForce: consentsInForce(state, catalogue, at), events: entries, notices };
};
