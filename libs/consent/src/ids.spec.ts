import { deterministicEventId } from './ids';

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
