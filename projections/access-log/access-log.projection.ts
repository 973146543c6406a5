import { RecordedEvent } from '@attest/event-store';
import { Projection, ReadModelQueries } from '@attest/projection-runner';

type Accessed = RecordedEvent<
  'SubjectDataAccessed',
  { subjectId: string; accessorRole: string; accessorId: string; resource: string; reason: string | null; accessedAt: string; requestId: string }
>;

/** Who read which subject's data, newest first per subject. Idempotent on the event's position. */
export const accessLogProjection: Projection = {
  name: 'access-log',
  version: 1,
  handles: ['SubjectDataAccessed'],
  schema: [
    `CREATE TABLE IF NOT EXISTS access_log (
       position BIGINT PRIMARY KEY, subject_id TEXT NOT NULL, accessor_role TEXT NOT NULL, accessor_id TEXT NOT NULL,
       resource TEXT NOT NULL, reason TEXT, accessed_at TEXT NOT NULL, request_id TEXT NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS access_log_subject ON access_log (subject_id, position)',
  ],
  tables: ['access_log'],
  async apply(event, tx: ReadModelQueries) {
    const { data } = event as Accessed;
    await tx.run(
      `INSERT INTO access_log (position, subject_id, accessor_role, accessor_id, resource, reason, accessed_at, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING`,
      event.globalPosition,
      data.subjectId,
      data.accessorRole,
      data.accessorId,
      data.resource,
      data.reason,
      data.accessedAt,
      data.requestId,
    );
  },
};

export interface AccessLogEntry {
  position: string;
  accessorRole: string;
  accessorId: string;
  resource: string;
  reason: string | null;
  accessedAt: string;
}

export const ACCESS_LOG_PAGE_MAX = 200;

/** A page of a subject's access log, newest first; `before` is the cursor (a position). */
export const accessLogPage = async (
  query: ReadModelQueries,
  subjectId: string,
  options: { limit: number; before?: bigint },
): Promise<{ entries: AccessLogEntry[]; nextCursor: string | null }> => {
  const limit = Math.min(options.limit, ACCESS_LOG_PAGE_MAX);
  const rows = await query.all<{
    position: bigint;
    accessor_role: string;
    accessor_id: string;
    resource: string;
    reason: string | null;
    accessed_at: string;
  }>(
    `SELECT position, accessor_role, accessor_id, resource, reason, accessed_at FROM access_log
     WHERE subject_id = ? AND position < ? ORDER BY position DESC LIMIT ?`,
    subjectId,
    options.before ?? 9_223_372_036_854_775_807n,
    limit + 1,
  );
  const page = rows.slice(0, limit);
  return {
    entries: page.map((r) => ({
      position: String(r.position),
      accessorRole: r.accessor_role,
      accessorId: r.accessor_id,
      resource: r.resource,
      reason: r.reason,
      accessedAt: r.accessed_at,
    })),
    nextCursor: rows.length > limit ? String(page[page.length - 1]?.position ?? '') : null,
  };
};
