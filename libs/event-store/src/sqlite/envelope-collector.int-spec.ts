import Database from 'better-sqlite3';
import { EnvelopeCollector } from './sqlite-event-store';

/**
 * The envelope function returns each envelope's index: a statement that evaluates rows in one
 * order and returns them in another (a sort after the function ran) still yields its own order.
 */
describe('EnvelopeCollector', () => {
  const columns = 'position, event_id, stream_id, stream_revision, type, schema_version, data, pii, recorded_at, correlation_id, causation_id, actor';
  const open = () => {
    const db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    const collector = new EnvelopeCollector();
    db.function('attest_envelope', { safeIntegers: true, directOnly: true }, collector.build as (...args: unknown[]) => unknown);
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT, stream_id TEXT, stream_revision INTEGER, type TEXT, schema_version INTEGER,
             data TEXT, pii TEXT, recorded_at TEXT, correlation_id TEXT, causation_id TEXT, actor TEXT)`);
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 5; i++)
      insert.run(i, `e${i}`, `s${i % 2}`, i, 'T', 1, JSON.stringify({ i, text: `n${6 - i}` }), i === 2 ? '{"name":"x"}' : null, 'at', 'co', i === 3 ? 'ca' : null, 'ac');
    return { db, collector };
  };

  it('builds envelopes with bigint positions and parsed data, in the order the rows come out', () => {
    const { db, collector } = open();
    const page = collector.read(db.prepare(`SELECT attest_envelope(${columns}) FROM events WHERE position > ? ORDER BY position LIMIT ?`).pluck().safeIntegers(false), [1n, 3]);
    expect(page).toEqual([
      { globalPosition: 2n, eventId: 'e2', streamId: 's0', streamRevision: 2n, type: 'T', schemaVersion: 1, data: { i: 2, text: 'n4' }, pii: { name: 'x' }, metadata: { recordedAt: 'at', correlationId: 'co', causationId: null, actor: 'ac' } },
      { globalPosition: 3n, eventId: 'e3', streamId: 's1', streamRevision: 3n, type: 'T', schemaVersion: 1, data: { i: 3, text: 'n3' }, pii: null, metadata: { recordedAt: 'at', correlationId: 'co', causationId: 'ca', actor: 'ac' } },
      { globalPosition: 4n, eventId: 'e4', streamId: 's0', streamRevision: 4n, type: 'T', schemaVersion: 1, data: { i: 4, text: 'n2' }, pii: null, metadata: { recordedAt: 'at', correlationId: 'co', causationId: null, actor: 'ac' } },
    ]);
    db.close();
  });

  it('follows the statement’s order when SQLite sorts after calling the function', () => {
    const { db, collector } = open();
    // No index on data: the rows are read in rowid order, the function called, then sorted.
    const sorted = db.prepare(`SELECT attest_envelope(${columns}) FROM events ORDER BY data ->> 'text' LIMIT 4`).pluck().safeIntegers(false);
    expect(collector.read(sorted, []).map((e) => e.eventId)).toEqual(['e5', 'e4', 'e3', 'e2']);
    db.close();
  });
});
