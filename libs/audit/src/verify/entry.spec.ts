import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { leafHash, leafHashOfText, MemoryTree } from '@attest/merkle';
import { randomStoredEvents } from '../testing/random-json';
import { canonicalEntry, canonicalEntryText, entryEnvelopeOf, entryOfStoredEvent, entryTextOfStoredEvent } from './entry';

describe('log entries of stored events', () => {
  // 2,000 seeded events with random data, pii and envelope strings (escapes, non-ASCII, lone surrogates, numbers).
  const events = randomStoredEvents(20261121, 2_000);

  it('are byte for byte the canonicalize library applied to the whole envelope', () => {
    for (const event of events) {
      const envelope = entryEnvelopeOf(event);
      const expected = canonicalize(envelope);
      expect(canonicalEntryText(envelope)).toBe(expected);
      expect(entryTextOfStoredEvent(event)).toBe(expected);
      expect(entryOfStoredEvent(event).equals(Buffer.from(expected as string, 'utf8'))).toBe(true);
      expect(canonicalEntry(envelope).equals(entryOfStoredEvent(event))).toBe(true);
      expect(leafHashOfText(entryTextOfStoredEvent(event)).equals(leafHash(entryOfStoredEvent(event)))).toBe(true);
    }
  });

  it('have not changed: entry bytes and roots pinned from the library-based encoding (published format)', () => {
    // Computed with the `canonicalize`-based encoding this log shipped with; a change here
    // changes every leaf of every existing log, and needs a format version (docs/audit-bundle-format.md).
    const all = createHash('sha256');
    const tree = new MemoryTree();
    for (const event of events) {
      const entry = entryOfStoredEvent(event);
      all.update(entry);
      tree.appendEntry(entry);
    }
    expect(all.digest('hex')).toBe('2c2652483c7a9238b897879138546a245b25f8de0fa6b234eac23e306f704f57');
    expect(tree.root().toString('hex')).toBe('a283dc131352f99cc7f6ff6cfcd44940e4a74f7ac11962f660a9cb11aa843c21');
    expect(tree.root(1337).toString('hex')).toBe('a7175ddb57ab008fdc54f43617835a1380c0c0bcd1230306bdd3cc6585bae9c7');
  });
});
