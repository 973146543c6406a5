import { generateKeyPairSync, KeyObject } from 'node:crypto';
import type { StoredEvent } from '@attest/event-store';
import { MemoryTree } from '@attest/merkle';
import { AuditBundle } from '../verify/bundle';
import { describePublicKey, LogPublicKey, SignedCheckpoint, signCheckpoint } from '../verify/checkpoint';
import { toBase64 } from '../verify/encoding';
import { entryEnvelopeOf, entryOfStoredEvent } from '../verify/entry';
import { noticeTextHash } from '../verify/notice-citation';

/** Fixtures for the audit specs: a small log with a notice and a subject's trail, and a signer. */
export const ORIGIN = 'attest.test/log';
export const NOTICE_TEXT = 'Partner One receives your repayment history for credit scoring.';

export const signer = (origin = ORIGIN): { privateKey: KeyObject; key: LogPublicKey } => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, key: describePublicKey(origin, publicKey) };
};

let position = 0n;
export const stored = (streamId: string, streamRevision: bigint, type: string, data: Record<string, unknown>, pii: Record<string, unknown> | null = null): StoredEvent => {
  position++;
  return {
    eventId: `e-${position}`,
    streamId,
    streamRevision,
    globalPosition: position,
    type,
    schemaVersion: 1,
    data: data as StoredEvent['data'],
    pii: pii as StoredEvent['pii'],
    metadata: { recordedAt: new Date(Date.UTC(2026, 0, 1) + Number(position) * 1000).toISOString(), correlationId: 'c', causationId: null, actor: 'system:test' },
  };
};

export const sampleLog = (): StoredEvent[] => {
  position = 0n;
  const notice = { noticeId: 'privacy', version: '3', textHash: noticeTextHash(NOTICE_TEXT) };
  return [
    stored('notice-privacy', 0n, 'NoticePublished', { version: '3', text: NOTICE_TEXT }),
    stored('subject-s1', 0n, 'ConsentGranted', { purpose: 'credit-scoring', notice }, { ciphertext: 'AAAA' }),
    stored('subject-s2', 0n, 'DataShared', { recipient: 'p2' }),
    stored('subject-s1', 1n, 'DataShared', { recipient: 'partner-1' }),
    stored('subject-s1', 2n, 'ConsentWithdrawn', { purpose: 'credit-scoring', notice }),
    stored('other', 0n, 'Other', {}),
  ];
};

export const treeOf = (events: readonly StoredEvent[]): MemoryTree => {
  const tree = new MemoryTree();
  for (const event of events) tree.appendEntry(entryOfStoredEvent(event));
  return tree;
};

export const checkpointOf = (tree: MemoryTree, size: number, privateKey: KeyObject, key: LogPublicKey, timestamp: string): SignedCheckpoint =>
  signCheckpoint({ origin: key.origin, treeSize: size, rootHash: toBase64(tree.root(size)), timestamp }, privateKey, key);

/** A bundle for subject s1 of `sampleLog`, as the API builds it. */
export const sampleBundle = (events: StoredEvent[], privateKey: KeyObject, key: LogPublicKey): AuditBundle => {
  const tree = treeOf(events);
  const checkpoint = checkpointOf(tree, tree.size, privateKey, key, '2026-02-01T00:00:00.000Z');
  const prove = (event: StoredEvent) => {
    const leafIndex = events.indexOf(event);
    return { leafIndex, event: entryEnvelopeOf(event), inclusionProof: tree.inclusionProof(leafIndex).map(toBase64) };
  };
  return {
    format: 'attest.audit-bundle',
    version: 1,
    bundleId: 'b-1',
    generatedAt: '2026-02-01T00:00:01.000Z',
    subjectId: 's1',
    streamId: 'subject-s1',
    range: { from: null, to: null },
    checkpoint,
    publicKeys: [key],
    events: events.filter((e) => e.streamId === 'subject-s1').map(prove),
    notices: events.filter((e) => e.streamId === 'notice-privacy').map(prove),
    consistencyProofs: [],
  };
};
