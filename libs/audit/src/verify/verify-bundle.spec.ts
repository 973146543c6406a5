import canonicalize from 'canonicalize';
import { toJsonEnvelope } from '@attest/event-store';
import { checkpointOf, NOTICE_TEXT, sampleBundle, sampleLog, signer, treeOf } from '../testing/fixtures';
import { AuditBundle } from './bundle';
import { verifyCheckpoint } from './checkpoint';
import { toBase64 } from './encoding';
import { canonicalEntry, entryEnvelopeOf } from './entry';
import { verifyBundle } from './verify-bundle';

const clone = (bundle: AuditBundle): AuditBundle => JSON.parse(JSON.stringify(bundle)) as AuditBundle;
const codes = (bundle: unknown, options = {}) => verifyBundle(bundle, options).failures.map((f) => `${f.scope.split(' (')[0]}: ${f.code}`);

describe('canonical entry (RFC 8785)', () => {
  it('is the JCS form of the stored envelope: sorted keys, no whitespace, positions as strings', () => {
    const [event] = sampleLog();
    if (!event) throw new Error('no event');
    expect(entryEnvelopeOf(event)).toEqual(toJsonEnvelope(event));
    const text = canonicalEntry(entryEnvelopeOf(event)).toString('utf8');
    expect(text.startsWith('{"data":{"text":')).toBe(true);
    expect(text).toContain('"globalPosition":"1"');
    expect(text).not.toMatch(/\s"|":\s/);
  });

  it('gives exactly the bytes of the canonicalize library applied to the whole envelope', () => {
    for (const event of sampleLog()) {
      const envelope = { ...entryEnvelopeOf(event), data: { ...event.data, 'z\u00e9': [1.5, { y: null, x: 'a"b\u0001' }], A: true } };
      expect(canonicalEntry(envelope).toString('utf8')).toBe(canonicalize(envelope));
    }
  });

  it('does not depend on key order and follows RFC 8785 number and string rules', () => {
    const [event] = sampleLog();
    if (!event) throw new Error('no event');
    const envelope = { ...entryEnvelopeOf(event), data: { b: 1e21, a: '\u20ac\n', c: [3, 0.1, -0] } };
    const reordered = { metadata: envelope.metadata, data: { c: [3, 0.1, -0], a: '\u20ac\n', b: 1e21 }, pii: envelope.pii, type: envelope.type, eventId: envelope.eventId, streamId: envelope.streamId, streamRevision: envelope.streamRevision, globalPosition: envelope.globalPosition, schemaVersion: envelope.schemaVersion };
    expect(canonicalEntry(reordered).equals(canonicalEntry(envelope))).toBe(true);
    expect(canonicalEntry(envelope).toString('utf8')).toContain('"data":{"a":"€\\n","b":1e+21,"c":[3,0.1,0]}');
  });
});

describe('verifyBundle (offline)', () => {
  const { privateKey, key } = signer();
  const events = sampleLog();
  const bundle = sampleBundle(events, privateKey, key);

  it('verifies an honest bundle: checkpoint, every proof, every citation', () => {
    expect(verifyCheckpoint(bundle.checkpoint, [key])).toMatchObject({ ok: true });
    expect(verifyBundle(clone(bundle))).toMatchObject({ ok: true, eventsVerified: 3, noticesVerified: 1, citationsVerified: 2, failures: [] });
  });

  it('names the event whose content was changed', () => {
    const edited = clone(bundle);
    (edited.events[1] as AuditBundle['events'][number]).event.data['recipient'] = 'partner-2';
    expect(codes(edited)).toEqual(['event e-4: INCLUSION_ROOT_MISMATCH']);
  });

  it('names a proof node that was changed, or a leaf index that was moved', () => {
    const edited = clone(bundle);
    const proof = edited.events[0]?.inclusionProof ?? [];
    proof[0] = toBase64(Buffer.alloc(32, 1));
    expect(codes(edited)).toEqual(['event e-2: INCLUSION_ROOT_MISMATCH']);
    const moved = clone(bundle);
    (moved.events[0] as AuditBundle['events'][number]).leafIndex = 99;
    expect(codes(moved)).toContain('event e-2: INCLUSION_INDEX_OUT_OF_RANGE');
  });

  it('notices an event left out of the trail', () => {
    const edited = clone(bundle);
    edited.events.splice(1, 1);
    expect(codes(edited)).toEqual(['event e-5: EVENT_MISSING']);
  });

  it('checks each citation against the notice text in the bundle', () => {
    const changed = clone(bundle);
    (changed.notices[0] as AuditBundle['notices'][number]).event.data['text'] = `${NOTICE_TEXT} And your contacts.`;
    expect(codes(changed)).toEqual(['notice e-1: INCLUSION_ROOT_MISMATCH', 'event e-2: NOTICE_HASH_MISMATCH', 'event e-5: NOTICE_HASH_MISMATCH']);
    const missing = clone(bundle);
    missing.notices = [];
    expect(codes(missing)).toEqual(['event e-2: NOTICE_MISSING', 'event e-5: NOTICE_MISSING']);
  });

  it('rejects a checkpoint edited after signing, or signed by a key the verifier does not trust', () => {
    const edited = clone(bundle);
    edited.checkpoint.timestamp = '2026-03-01T00:00:00.000Z';
    expect(codes(edited)[0]).toBe('checkpoint: SIGNATURE_INVALID');
    const other = signer();
    expect(codes(clone(bundle), { trustedKeys: [other.key] })).toEqual(['checkpoint: UNKNOWN_KEY']);
    expect(verifyBundle(clone(bundle), { trustedKeys: [key] }).ok).toBe(true);
  });

  it('proves the log extends a kept checkpoint, and catches a rewritten history', () => {
    const tree = treeOf(events);
    const kept = checkpointOf(tree, 3, privateKey, key, '2026-01-15T00:00:00.000Z');
    const withProof = clone(bundle);
    withProof.consistencyProofs = [{ fromTreeSize: 3, toTreeSize: tree.size, proof: tree.consistencyProof(3).map(toBase64) }];
    expect(verifyBundle(withProof, { consistencyFrom: kept })).toMatchObject({ ok: true, consistencyVerified: { fromTreeSize: 3, toTreeSize: 6 } });
    expect(codes(clone(bundle), { consistencyFrom: kept })).toEqual(['consistency: CONSISTENCY_PROOF_MISSING']);
    // The regulator kept a checkpoint of a history in which event 2 said something else.
    const forged = sampleLog();
    (forged[1] as (typeof forged)[number]).data = { purpose: 'marketing' };
    const keptForged = checkpointOf(treeOf(forged), 3, privateKey, key, '2026-01-15T00:00:00.000Z');
    expect(codes(withProof, { consistencyFrom: keptForged })).toEqual(['consistency: CONSISTENCY_FIRST_ROOT_MISMATCH']);
  });

  it('reports a malformed bundle instead of throwing', () => {
    expect(codes({ format: 'something' })[0]).toBe('bundle: BUNDLE_MALFORMED');
    expect(verifyBundle(null).ok).toBe(false);
  });
});
