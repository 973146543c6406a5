import type { RecordedEvent } from '@attest/event-store';
import type { Projection, ReadModelQueries } from '@attest/projection-runner';
import type { SubjectEvent } from '@attest/consent';

/**
 * Which subjects currently allow which purposes for a partner. A row exists from the grant
 * until the withdrawal; expiry is applied at query time (it depends on "now"), and whether a
 * later notice version changed the scope is flagged by the API from the catalogue.
 */
export const CONSENT_PARTNER_VIEW = 'consent-partner-view';
const TABLE = 'consent_partner_view';

export const consentPartnerViewProjection: Projection = {
  name: CONSENT_PARTNER_VIEW,
  version: 1,
  handles: ['ConsentGranted', 'ConsentWithdrawn'],
  schema: [
    `CREATE TABLE IF NOT EXISTS ${TABLE} (
       recipient_id TEXT NOT NULL, subject_id TEXT NOT NULL, consent_id TEXT NOT NULL, purpose_id TEXT NOT NULL,
       notice_id TEXT NOT NULL, notice_version INTEGER NOT NULL, notice_hash TEXT NOT NULL, granted_at TEXT NOT NULL, expires_at TEXT,
       PRIMARY KEY (recipient_id, subject_id, consent_id))`,
  ],
  tables: [TABLE],
  async apply(stored, tx) {
    const event = stored as RecordedEvent & SubjectEvent;
    if (event.type === 'ConsentGranted') {
      const d = event.data;
      if (d.recipientId === null) return;
      await tx.run(
        `INSERT INTO ${TABLE} (recipient_id, subject_id, consent_id, purpose_id, notice_id, notice_version, notice_hash, granted_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (recipient_id, subject_id, consent_id) DO NOTHING`,
        d.recipientId, d.subjectId, d.consentId, d.purposeId, d.notice.noticeId, d.notice.version, d.notice.textHash, d.grantedAt, d.expiresAt,
      );
    } else if (event.type === 'ConsentWithdrawn') {
      const d = event.data;
      if (d.recipientId === null) return;
      await tx.run(`DELETE FROM ${TABLE} WHERE recipient_id = ? AND subject_id = ? AND consent_id = ?`, d.recipientId, d.subjectId, d.consentId);
    }
  },
};

export const PARTNER_VIEW_PAGE_MAX = 500;

interface Row {
  subject_id: string; consent_id: string; purpose_id: string; notice_id: string; notice_version: bigint; notice_hash: string;
  granted_at: string; expires_at: string | null;
}

/** Keyset pagination on (subject_id, consent_id): stable while rows come and go. */
export const queryPartnerSubjects = async (
  db: ReadModelQueries,
  recipientId: string,
  page: { purposeId: string | null; after: { subjectId: string; consentId: string } | null; limit: number; now: string },
) => {
  const limit = Math.min(page.limit, PARTNER_VIEW_PAGE_MAX);
  const after = page.after ?? { subjectId: '', consentId: '' };
  const rows = await db.all<Row>(
    `SELECT subject_id, consent_id, purpose_id, notice_id, notice_version, notice_hash, granted_at, expires_at FROM ${TABLE}
     WHERE recipient_id = ? AND (subject_id > ? OR (subject_id = ? AND consent_id > ?))
       AND (expires_at IS NULL OR expires_at > ?) AND (CAST(? AS TEXT) IS NULL OR purpose_id = ?)
     ORDER BY subject_id, consent_id LIMIT ?`,
    recipientId, after.subjectId, after.subjectId, after.consentId, page.now, page.purposeId, page.purposeId, limit + 1,
  );
  const items = rows.slice(0, limit).map((row) => ({
    subjectId: row.subject_id,
    consentId: row.consent_id,
    purposeId: row.purpose_id,
    notice: { noticeId: row.notice_id, version: Number(row.notice_version), textHash: row.notice_hash },
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
  }));
  const last = rows[limit - 1];
  return { items, next: rows.length > limit && last ? { subjectId: last.subject_id, consentId: last.consent_id } : null };
};
