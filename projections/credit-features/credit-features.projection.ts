import type { RecordedEvent, StoredEvent } from '@attest/event-store';
import { CATALOGUE_EVENT_TYPES, CatalogueEvent, CatalogueState, SubjectState } from '@attest/consent';
import { LEDGER_EVENT_TYPES } from '@attest/ledger';
import type { Projection, ReadModelQueries } from '@attest/projection-runner';
import { foldCatalogue, foldSubject, KeptCatalogueEvent, KeptConsentEvent, openRecipients, purgesFeatures } from './consent-windows';
import { contributionOf, CONTRIBUTING_TYPES } from './credit-features.definitions';

/**
 * Credit features read model: one row per (subject, recipient, counted ledger event), that is a
 * *contribution*: a ledger event of the subject that fell inside a credit-scoring consent window
 * for that recipient when it happened. Features (30/90-day counts and volumes, ratios, ages) are
 * aggregates over these rows at query time (credit-features.queries.ts), so:
 *
 * - eligibility is decided once, at the event's position, against the consent state and the
 *   catalogue as they were then: an event outside every window never gets a row, and nothing
 *   later can add one (rows are only inserted for the event being applied);
 * - a withdrawal DELETEs the subject's rows for that recipient: the data is gone from the read
 *   model, not hidden, and a rebuild replays the same withdrawal at the same position, so it can
 *   never bring them back; after re-consent only new events count;
 * - lineage is exact (each row carries its global position), and `asOf` is a filter on the
 *   event time of the rows that exist (see README: why keeping rows beats replaying the log).
 *
 * Auxiliary tables keep what the windows need, inside the read model (no event-store reads in
 * apply): each subject's grants and withdrawals to named recipients (no personal data), and the
 * catalogue's events.
 */
export const CREDIT_FEATURES_PROJECTION = 'credit-features';
export const CONTRIBUTIONS_TABLE = 'credit_feature_contributions';
export const CONSENTS_TABLE = 'credit_feature_consents';
export const CATALOGUE_TABLE = 'credit_feature_catalogue';

/** Rows per multi-row INSERT: 9 parameters each keeps a statement under both stores' parameter limits. */
const INSERT_ROWS_MAX = 500;
/** Subjects per IN (...) lookup. */
const LOOKUP_KEYS_MAX = 500;

interface PendingRow {
  subjectId: string;
  recipientId: string;
  position: bigint;
  currency: string;
  kind: string;
  amountMinor: bigint;
  counterpartyId: string | null;
  occurredAt: string;
  eventId: string;
}

interface SubjectEntry {
  events: KeptConsentEvent[];
  state: SubjectState;
  dirty: boolean;
  /** True once stored (update) rather than new (insert). */
  stored: boolean;
}

const CONSENT_TYPES = ['ConsentGranted', 'ConsentWithdrawn'] as const;
const isConsentEvent = (event: RecordedEvent): event is RecordedEvent & KeptConsentEvent => (CONSENT_TYPES as readonly string[]).includes(event.type);
const isCatalogueEvent = (event: RecordedEvent): event is RecordedEvent & CatalogueEvent => CATALOGUE_EVENT_TYPES.includes(event.type as CatalogueEvent['type']);

/**
 * The catalogue folded from the rows of CATALOGUE_TABLE. The fold is memoised between batches,
 * keyed by the exact stored text of those rows (a few small rows, read once per batch): a
 * rebuild (tables dropped), a rolled-back batch, another process's writes or another read-model
 * store in the same process (tests, the replay) can never reuse a fold that is not theirs. Each
 * batch works on its own copy, so two stores' batches interleaving at an await cannot mix.
 */
class BatchCatalogue {
  constructor(
    private readonly events: KeptCatalogueEvent[],
    public state: CatalogueState,
  ) {}

  async add(tx: ReadModelQueries, event: RecordedEvent & CatalogueEvent): Promise<void> {
    // Personal data (recipient contacts, the controller's contact) is not kept: the gate never reads it.
    const kept = { type: event.type, data: event.data, pii: null } as unknown as KeptCatalogueEvent;
    await tx.run(`INSERT INTO ${CATALOGUE_TABLE} (position, event_json) VALUES (?, ?) ON CONFLICT (position) DO NOTHING`, event.globalPosition, JSON.stringify(kept));
    this.events.push(kept);
    this.state = foldCatalogue(this.events);
  }
}

class CatalogueMemo {
  private key: string | null = null;
  private events: readonly KeptCatalogueEvent[] = [];
  private state: CatalogueState = foldCatalogue([]);

  async load(tx: ReadModelQueries): Promise<BatchCatalogue> {
    const rows = await tx.all<{ event_json: string }>(`SELECT event_json FROM ${CATALOGUE_TABLE} ORDER BY position`);
    const key = rows.map((row) => row.event_json).join('\n');
    if (key !== this.key) {
      this.events = rows.map((row) => JSON.parse(row.event_json) as KeptCatalogueEvent);
      this.state = foldCatalogue(this.events);
      this.key = key;
    }
    return new BatchCatalogue([...this.events], this.state);
  }
}

const catalogueMemo = new CatalogueMemo();

const keptConsentEvent = (event: RecordedEvent & KeptConsentEvent): KeptConsentEvent =>
  event.type === 'ConsentGranted'
    ? // Evidence (address prefix, user agent) is personal and not needed to decide a window.
      { type: 'ConsentGranted', eventId: event.eventId, data: event.data, pii: { ipPrefix: null, userAgent: null } }
    : { type: 'ConsentWithdrawn', eventId: event.eventId, data: event.data };

const loadSubjects = async (tx: ReadModelQueries, subjectIds: readonly string[]): Promise<Map<string, SubjectEntry>> => {
  const entries = new Map<string, SubjectEntry>();
  for (let from = 0; from < subjectIds.length; from += LOOKUP_KEYS_MAX) {
    const chunk = subjectIds.slice(from, from + LOOKUP_KEYS_MAX);
    const rows = await tx.all<{ subject_id: string; events_json: string }>(
      `SELECT subject_id, events_json FROM ${CONSENTS_TABLE} WHERE subject_id IN (${chunk.map(() => '?').join(', ')})`,
      ...chunk,
    );
    for (const row of rows) {
      const events = JSON.parse(row.events_json) as KeptConsentEvent[];
      entries.set(row.subject_id, { events, state: foldSubject(events), dirty: false, stored: true });
    }
  }
  return entries;
};

const subjectOf = (event: RecordedEvent): string | null => {
  if (isConsentEvent(event)) return event.data.subjectId;
  return contributionOf(event)?.subjectId ?? null;
};

const insertRows = async (tx: ReadModelQueries, rows: readonly PendingRow[]): Promise<void> => {
  for (let from = 0; from < rows.length; from += INSERT_ROWS_MAX) {
    const chunk = rows.slice(from, from + INSERT_ROWS_MAX);
    await tx.run(
      `INSERT INTO ${CONTRIBUTIONS_TABLE} (subject_id, recipient_id, position, currency, kind, amount_minor, counterparty_id, occurred_at, event_id)
       VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (subject_id, recipient_id, position) DO NOTHING`,
      ...chunk.flatMap((r) => [r.subjectId, r.recipientId, r.position, r.currency, r.kind, r.amountMinor, r.counterpartyId, r.occurredAt, r.eventId]),
    );
  }
};

/**
 * Applies a batch in log order. Consent state and catalogue evolve event by event in memory,
 * so a ledger event is judged against exactly the consents and notices that preceded it in the
 * log; writes are gathered and issued in a few multi-row statements at the end (deletes of a
 * purge first hit rows already committed, and drop pending rows of the same batch in memory).
 */
const applyEvents = async (input: ReadonlyArray<RecordedEvent | StoredEvent>, tx: ReadModelQueries): Promise<void> => {
  const events = input as readonly RecordedEvent[];
  const catalogue = await catalogueMemo.load(tx);
  const wanted = new Set<string>();
  for (const event of events) {
    const subjectId = subjectOf(event);
    if (subjectId !== null) wanted.add(subjectId);
  }
  const subjects = await loadSubjects(tx, [...wanted]);
  let pending: PendingRow[] = [];

  for (const event of events) {
    if (isCatalogueEvent(event)) {
      await catalogue.add(tx, event);
      continue;
    }
    if (isConsentEvent(event)) {
      const subjectId = event.data.subjectId;
      // Grants for the controller's own use never open a window for a recipient: not kept.
      if (event.data.recipientId === null) continue;
      let entry = subjects.get(subjectId);
      if (event.type === 'ConsentWithdrawn') {
        // A withdrawal of a consent this read model never kept (own-use) changes nothing here.
        if (!entry?.state.consents.has(event.data.consentId)) continue;
      }
      // Idempotent: an event already kept (a redelivered batch) is not applied twice.
      if (entry?.events.some((kept) => kept.eventId === event.eventId)) continue;
      entry ??= { events: [], state: foldSubject([]), dirty: true, stored: false };
      const kept = keptConsentEvent(event);
      entry.events.push(kept);
      entry.state = foldSubject(entry.events);
      entry.dirty = true;
      subjects.set(subjectId, entry);
      if (kept.type === 'ConsentWithdrawn' && purgesFeatures(kept, catalogue.state)) {
        const recipientId = kept.data.recipientId;
        if (recipientId !== null) {
          pending = pending.filter((row) => !(row.subjectId === subjectId && row.recipientId === recipientId));
          await tx.run(`DELETE FROM ${CONTRIBUTIONS_TABLE} WHERE subject_id = ? AND recipient_id = ?`, subjectId, recipientId);
        }
      }
      continue;
    }
    const contribution = contributionOf(event);
    if (!contribution) continue;
    const entry = subjects.get(contribution.subjectId);
    // No consent to a named recipient, ever: the event is outside every window.
    if (!entry) continue;
    for (const recipientId of openRecipients(entry.state, catalogue.state, event.metadata.recordedAt)) {
      pending.push({
        subjectId: contribution.subjectId,
        recipientId,
        position: event.globalPosition,
        currency: contribution.currency,
        kind: contribution.kind,
        amountMinor: contribution.amountMinor,
        counterpartyId: contribution.counterpartyId,
        occurredAt: event.metadata.recordedAt,
        eventId: event.eventId,
      });
    }
  }

  await insertRows(tx, pending);
  for (const [subjectId, entry] of subjects) {
    if (!entry.dirty) continue;
    await tx.run(
      `INSERT INTO ${CONSENTS_TABLE} (subject_id, events_json) VALUES (?, ?)
       ON CONFLICT (subject_id) DO UPDATE SET events_json = excluded.events_json`,
      subjectId,
      JSON.stringify(entry.events),
    );
  }
};

export const creditFeaturesProjection: Projection = {
  name: CREDIT_FEATURES_PROJECTION,
  version: 1,
  handles: [...CONTRIBUTING_TYPES, 'ConsentGranted', 'ConsentWithdrawn', ...CATALOGUE_EVENT_TYPES],
  schema: [
    `CREATE TABLE IF NOT EXISTS ${CONTRIBUTIONS_TABLE} (
       subject_id TEXT NOT NULL, recipient_id TEXT NOT NULL, position BIGINT NOT NULL, currency TEXT NOT NULL, kind TEXT NOT NULL,
       amount_minor BIGINT NOT NULL, counterparty_id TEXT, occurred_at TEXT NOT NULL, event_id TEXT NOT NULL,
       PRIMARY KEY (subject_id, recipient_id, position))`,
    `CREATE TABLE IF NOT EXISTS ${CONSENTS_TABLE} (subject_id TEXT PRIMARY KEY, events_json TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${CATALOGUE_TABLE} (position BIGINT PRIMARY KEY, event_json TEXT NOT NULL)`,
  ],
  tables: [CONTRIBUTIONS_TABLE, CONSENTS_TABLE, CATALOGUE_TABLE],
  apply: (event, tx) => applyEvents([event], tx),
  applyBatch: applyEvents,
};

/** For tests and assertions: the ledger types this projection reads. */
export const CREDIT_FEATURES_LEDGER_TYPES: readonly string[] = LEDGER_EVENT_TYPES.filter((type) => (CONTRIBUTING_TYPES as readonly string[]).includes(type));
