import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { deterministicEventId, timeOrderedEventId } from './ids';

describe('deterministicEventId', () => {
  // Event ids already in stored logs: a change here would make a retried append a second fact.
  // The expected values were computed with uuid's v5 from the joined string and the namespace string.
  it('keeps the ids of stored events (ASCII parts)', () => {
    expect(deterministicEventId('subject', 'u1', 'share', 'bureau', 's-1')).toBe('1635b7ce-12f2-567d-9d62-7718b74bc5e7');
  });

  it('keeps the ids of stored events (non-ASCII parts, UTF-8 encoded)', () => {
    expect(deterministicEventId('subject', '张伟', 'share', 'bureau', 's-1')).toBe('a9adf6dc-c5a5-586c-96f9-bfa4eadc83c0');
  });

  it('is a version 5 UUID and tells the parts apart', () => {
    const id = deterministicEventId('subject', 'u1', 'share', 'bureau', 's-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicEventId('subject', 'u1', 'share', 'bureau', 's-2')).not.toBe(id);
    // Same characters, split differently ('bureau' + 's-1' vs 'bureaus' + '-1'): the separator keeps them apart.
    expect(deterministicEventId('subject', 'u1', 'share', 'bureaus', '-1')).not.toBe(id);
  });
});

describe('timeOrderedEventId', () => {
  const share = (key: string, subject = 'u1') => timeOrderedEventId(key, 'subject', subject, 'share', 'bureau', key);

  it('is a version 8 UUID carrying the v7 key\'s timestamp, the same for the same key and parts', () => {
    const key = '019a5f3c-1d2e-7abc-8def-0123456789ab';
    const id = share(key);
    expect(id).toMatch(/^019a5f3c-1d2e-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(share(key)).toBe(id);
    // Pinned (computed independently, with Python's hashlib): a change would give a retried share another event id.
    expect(id).toBe('019a5f3c-1d2e-8ad7-bb03-9ba73dcf2312');
    expect(share(key, '张伟')).toBe('019a5f3c-1d2e-87a4-ba38-6dbd8a890d93');
    expect(timeOrderedEventId(key.toUpperCase(), 'subject', 'u1', 'share', 'bureau', key)).toBe(id);
    expect(share(key, 'u2')).not.toBe(id);
    expect(share(key, 'u2').slice(0, 13)).toBe(id.slice(0, 13));
  });

  it('sorts as the keys\' times do, so appends land at the end of the event-id index', () => {
    const keys = Array.from({ length: 50 }, (_, i) => uuidv7({ msecs: Date.parse('2026-11-22T00:00:00.000Z') + i * 7 }));
    const ids = keys.map((key, i) => share(key, `u${(i * 37) % 11}`));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('falls back to the version 5 id for a key that is not a UUID v7 (client-chosen keys, stored events)', () => {
    for (const key of ['s-1', uuidv4(), 'not-a-uuid']) expect(share(key)).toBe(deterministicEventId('subject', 'u1', 'share', 'bureau', key));
  });
});
