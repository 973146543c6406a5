import type { RecordedEvent } from '@attest/event-store';
import type { Projection, ReadModelQueries } from '@attest/projection-runner';
import type { SubjectEvent } from '@attest/consent';

/**
 * What a data subject sees: every consent they gave (in force or not, with its notice version)
 * and every share made of their data (who, when, what, under which consent). Refused attempts
 * and refused shares are in the compliance trail, not here: this view answers "what is
 * happening with my data".
 */
export const CONSENT_SUBJECT_VIEW = 'consent-subject-view';

const CONSENTS = 'consent_subject_consents';
const SHARES = 'consent_subject_shares';

export const consentSubjectViewProjection: Projection = {
  name: CONSENT_SUBJECT_VIEW,
  version: 1,
  handles: ['ConsentGranted', 'ConsentWithdrawn', 'DataShared'],
  schema: [
    `CREATE TABLE IF NOT EXISTS ${CONSENTS} (
       subject_id TEXT NOT NULL, consent_id TEXT NOT NULL, position BIGINT NOT NULL, event_id TEXT NOT NULL,
       purpose_id TEXT NOT NULL, recipient_id TEXT, notice_id TEXT NOT NULL, notice_version INTEGER NOT NULL, notice_hash TEXT NOT NULL,
       data_categories TEXT NOT NULL, granted_at TEXT NOT NULL, expires_at TEXT, withdrawn_at TEXT, withdrawal_id TEXT,
       PRIMARY KEY (subject_id, consent_id))`,
    `CREATE INDEX IF NOT EXISTS ${CONSENTS}_by_position ON ${CONSENTS} (subject_id, position)`,
    `CREATE TABLE IF NOT EXISTS ${SHARES} (
       subject_id TEXT NOT NULL, position BIGINT NOT NULL, event_id TEXT NOT NULL, share_id TEXT NOT NULL,
       recipient_id TEXT NOT NULL, purpose_id TEXT NOT NULL, data_categories TEXT NOT NULL, consent_id TEXT NOT NULL,
       consent_event_id TEXT NOT NULL, notice_id TEXT NOT NULL, notice_version INTEGER NOT NULL, shared_at TEXT NOT NULL,
       PRIMARY KEY (subject_id, position))`,
  ],
  tables: [CONSENTS, SHARES],
  async apply(stored, tx) {
    const event = stored as RecordedEvent & SubjectEvent;
    switch (event.type) {
      case 'ConsentGranted': {
        const d = event.data;
        await tx.run(
          `INSERT INTO ${CONSENTS} (subject_id, consent_id, position, event_id, purpose_id, recipient_id, notice_id, notice_version, notice_hash, data_categories, granted_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject_id, consent_id) DO NOTHING`,
          d.subjectId, d.consentId, event.globalPosition, event.eventId, d.purposeId, d.recipientId, d.notice.noticeId, d.notice.version,
          d.notice.textHash, JSON.stringify(d.dataCategories), d.grantedAt, d.expiresAt,
        );
        return;
      }
      case 'ConsentWithdrawn': {
        const d = event.data;
        await tx.run(
          `UPDATE ${CONSENTS} SET withdrawn_at = ?, withdrawal_id = ? WHERE subject_id = ? AND consent_id = ? AND withdrawn_at IS NULL`,
          d.withdrawnAt, d.withdrawalId, d.subjectId, d.consentId,
        );
        return;
      }
      case 'DataShared': {
        const d = event.data;
        await tx.run(
          `INSERT INTO ${SHARES} (subject_id, position, event_id, share_id, recipient_id, purpose_id, data_categories, consent_id, consent_event_id, notice_id, notice_version, shared_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject_id, position) DO NOTHING`,
          d.subjectId, event.globalPosition, event.eventId, d.shareId, d.recipientId, d.purposeId, JSON.stringify(d.dataCategories), d.consentId,
          d.consentEventId, d.notice.noticeId, d.notice.version, d.sharedAt,
        );
        return;
      }
      default:
        // Only the handled types reach here; anything else is ignored rather than thrown (STYLE §7).
        return;
    }
  },
};

export const SUBJECT_VIEW_PAGE_MAX = 100;

interface ConsentRow {
  consent_id: string; position: bigint; event_id: string; purpose_id: string; recipient_id: string | null; notice_id: string;
  notice_version: bigint; notice_hash: string; data_categories: string; granted_at: string; expires_at: string | null;
  withdrawn_at: string | null; withdrawal_id: string | null;
}
interface ShareRow {
  position: bigint; event_id: string; share_id: string; recipient_id: string; purpose_id: string; data_categories: string;
  consent_id: string; consent_event_id: string; notice_id: string; notice_version: bigint; shared_at: string;
}

const consentStatus = (row: ConsentRow, now: string) =>
  row.withdrawn_at !== null ? 'withdrawn' : row.expires_at !== null && row.expires_at <= now ? 'expired' : 'in-force';

/** One page of a subject's consents, oldest first; `after` is the position cursor of the last page. */
export const querySubjectConsents = async (db: ReadModelQueries, subjectId: string, page: { after: bigint; limit: number; now: string }) => {
  const rows = await db.all<ConsentRow>(
    `SELECT * FROM ${CONSENTS} WHERE subject_id = ? AND position > ? ORDER BY position LIMIT ?`,
    subjectId, page.after, Math.min(page.limit, SUBJECT_VIEW_PAGE_MAX) + 1,
  );
  const limit = Math.min(page.limit, SUBJECT_VIEW_PAGE_MAX);
  const items = rows.slice(0, limit).map((row) => ({
    consentId: row.consent_id,
    consentEventId: row.event_id,
    purposeId: row.purpose_id,
    recipientId: row.recipient_id,
    notice: { noticeId: row.notice_id, version: Number(row.notice_version), textHash: row.notice_hash },
    dataCategories: JSON.parse(row.data_categories) as string[],
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
    withdrawnAt: row.withdrawn_at,
    status: consentStatus(row, page.now),
  }));
  const last = rows[limit - 1];
  return { items, nextCursor: rows.length > limit && last ? last.position.toString() : null };
};

/** One page of the shares made of a subject's data, oldest first. */
export const querySubjectShares = async (db: ReadModelQueries, subjectId: string, page: { after: bigint; limit: number }) => {
  const limit = Math.min(page.limit, SUBJECT_VIEW_PAGE_MAX);
  const rows = await db.all<ShareRow>(
    `SELECT * FROM ${SHARES} WHERE subject_id = ? AND position > ? ORDER BY position LIMIT ?`,
    subjectId, page.after, limit + 1,
  );
  const items = rows.slice(0, limit).map((row) => ({
    shareId: row.share_id,
    shareEventId: row.event_id,
    recipientId: row.recipient_id,
    purposeId: row.purpose_id,
    dataCategories: JSON.parse(row.data_categories) as string[],
    consentId: row.consent_id,
    consentEventId: row.consent_event_id,
    notice: { noticeId: row.notice_id, version: Number(row.notice_version) },
    sharedAt: row.shared_at,
  }));
  const last = rows[limit - 1];
  return { items, nextCursor: rows.length > limit && last ? last.position.toString() : null };
};
