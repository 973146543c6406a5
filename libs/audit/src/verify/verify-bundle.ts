import { leafHash, verifyConsistency, verifyInclusion } from '@attest/merkle';
import { AuditBundle, auditBundleSchema, ProvenEvent } from './bundle';
import { LogPublicKey, SignedCheckpoint, signedCheckpointSchema, verifyCheckpoint } from './checkpoint';
import { fromBase64 } from './encoding';
import { canonicalEntry } from './entry';
import { citedNotice, isCitedNoticeVersion, noticeText, textHashMatches } from './notice-citation';

/**
 * The offline verifier: everything a regulator needs is in the bundle (and, optionally, a
 * checkpoint they kept and keys published out of band). Only node:crypto and @attest/merkle are
 * involved. Every failure names what failed — the checkpoint, an event (id, position, leaf
 * index), a citation, the consistency proof — and why, with a stable code.
 */
export interface Failure {
  /** What failed: `bundle`, `checkpoint`, `event <id>`, `notice <id>`, `consistency`, … */
  scope: string;
  code: string;
  detail: string;
}

export interface VerifyOptions {
  /** Keys published out of band; when given, the bundle's own keys are not trusted. */
  trustedKeys?: readonly LogPublicKey[];
  /** A checkpoint the verifier kept from before: the bundle's log must extend it. */
  consistencyFrom?: SignedCheckpoint;
}

export interface BundleReport {
  ok: boolean;
  bundleId: string | null;
  subjectId: string | null;
  checkpoint: { origin: string; treeSize: number; timestamp: string; keyId: string } | null;
  eventsVerified: number;
  noticesVerified: number;
  citationsVerified: number;
  consistencyVerified: { fromTreeSize: number; toTreeSize: number } | null;
  failures: Failure[];
  notes: string[];
}

const scopeOf = (kind: 'event' | 'notice', proven: ProvenEvent) =>
  `${kind} ${proven.event.eventId} (position ${proven.event.globalPosition}, leaf ${proven.leafIndex})`;

export const verifyBundle = (input: unknown, options: VerifyOptions = {}): BundleReport => {
  const report: BundleReport = {
    ok: false,
    bundleId: null,
    subjectId: null,
    checkpoint: null,
    eventsVerified: 0,
    noticesVerified: 0,
    citationsVerified: 0,
    consistencyVerified: null,
    failures: [],
    notes: [],
  };
  const parsed = auditBundleSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 20))
      report.failures.push({ scope: 'bundle', code: 'BUNDLE_MALFORMED', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
    return report;
  }
  const bundle = parsed.data;
  report.bundleId = bundle.bundleId;
  report.subjectId = bundle.subjectId;
  const { checkpoint } = bundle;
  report.checkpoint = { origin: checkpoint.origin, treeSize: checkpoint.treeSize, timestamp: checkpoint.timestamp, keyId: checkpoint.keyId };

  // 1. The checkpoint: signed by a key we accept.
  const keys = options.trustedKeys ?? bundle.publicKeys;
  if (!options.trustedKeys)
    report.notes.push(`public keys taken from the bundle: compare key id ${checkpoint.keyId} with the one the log operator publishes`);
  const signature = verifyCheckpoint(checkpoint, keys);
  if (!signature.ok) {
    report.failures.push({ scope: 'checkpoint', code: signature.failure, detail: signature.detail });
    // Without a trusted root nothing below can be trusted; still report what else is wrong.
  }
  const root = fromBase64(checkpoint.rootHash, 32) ?? Buffer.alloc(32);

  // 2. Every event and notice: its canonical entry is the leaf the proof leads to the root from.
  const verifyProven = (kind: 'event' | 'notice', proven: ProvenEvent): boolean => {
    const path: Buffer[] = [];
    for (const [i, node] of proven.inclusionProof.entries()) {
      const bytes = fromBase64(node, 32);
      if (!bytes) {
        report.failures.push({ scope: scopeOf(kind, proven), code: 'PROOF_MALFORMED', detail: `inclusion proof node ${i} is not 32 bytes of base64` });
        return false;
      }
      path.push(bytes);
    }
    const verdict = verifyInclusion(proven.leafIndex, checkpoint.treeSize, leafHash(canonicalEntry(proven.event)), path, root);
    if (!verdict.ok) {
      const detail =
        verdict.failure === 'ROOT_MISMATCH'
          ? 'the event as given does not hash to the checkpoint root with its proof: the event or its proof was altered'
          : verdict.detail;
      report.failures.push({ scope: scopeOf(kind, proven), code: `INCLUSION_${verdict.failure}`, detail });
      return false;
    }
    return true;
  };
  for (const proven of bundle.events) if (verifyProven('event', proven)) report.eventsVerified++;
  for (const proven of bundle.notices) if (verifyProven('notice', proven)) report.noticesVerified++;

  // 3. The events are the subject's stream, in order, with no revision left out.
  checkCompleteness(bundle, report);

  // 4. Every cited notice is in the bundle and its text has the cited hash.
  for (const proven of bundle.events) {
    const citation = citedNotice(proven.event);
    if (!citation) continue;
    const notice = bundle.notices.find((n) => isCitedNoticeVersion(n.event, citation));
    const scope = scopeOf('event', proven);
    if (!notice) {
      report.failures.push({ scope, code: 'NOTICE_MISSING', detail: `cites notice ${citation.noticeId} version ${citation.version}, which the bundle does not contain` });
      continue;
    }
    const text = noticeText(notice.event);
    if (text === null) {
      report.failures.push({ scope, code: 'NOTICE_TEXT_MISSING', detail: `notice ${citation.noticeId} version ${citation.version} carries no text` });
      continue;
    }
    if (!textHashMatches(text, citation.textHash)) {
      report.failures.push({ scope, code: 'NOTICE_HASH_MISMATCH', detail: `cites text hash ${citation.textHash}, but notice ${citation.noticeId} version ${citation.version} has different text` });
      continue;
    }
    report.citationsVerified++;
  }

  // 5. Optionally: the log today extends, unchanged, the log the verifier saw before.
  if (options.consistencyFrom) verifyConsistencyFrom(bundle, options.consistencyFrom, keys, report);

  report.ok = report.failures.length === 0;
  return report;
};

const checkCompleteness = (bundle: AuditBundle, report: BundleReport): void => {
  let previous: ProvenEvent | null = null;
  for (const proven of bundle.events) {
    const { event } = proven;
    const scope = scopeOf('event', proven);
    if (event.streamId !== bundle.streamId) report.failures.push({ scope, code: 'WRONG_STREAM', detail: `belongs to ${event.streamId}, not ${bundle.streamId}` });
    if (bundle.range.from && event.metadata.recordedAt < bundle.range.from)
      report.failures.push({ scope, code: 'OUT_OF_RANGE', detail: `recorded ${event.metadata.recordedAt}, before ${bundle.range.from}` });
    if (bundle.range.to && event.metadata.recordedAt >= bundle.range.to)
      report.failures.push({ scope, code: 'OUT_OF_RANGE', detail: `recorded ${event.metadata.recordedAt}, not before ${bundle.range.to}` });
    if (previous) {
      const expected = BigInt(previous.event.streamRevision) + 1n;
      if (BigInt(event.streamRevision) !== expected)
        report.failures.push({ scope, code: 'EVENT_MISSING', detail: `has stream revision ${event.streamRevision}, expected ${expected}: the bundle leaves out events` });
      if (proven.leafIndex <= previous.leafIndex) report.failures.push({ scope, code: 'ORDER_INVALID', detail: 'events are not in log order' });
    } else if (!bundle.range.from && event.streamRevision !== '0') {
      report.failures.push({ scope, code: 'EVENT_MISSING', detail: `the trail starts at revision ${event.streamRevision}, not 0` });
    }
    previous = proven;
  }
};

const verifyConsistencyFrom = (bundle: AuditBundle, kept: SignedCheckpoint, keys: readonly LogPublicKey[], report: BundleReport): void => {
  const old = signedCheckpointSchema.safeParse(kept);
  if (!old.success) {
    report.failures.push({ scope: 'consistency', code: 'CHECKPOINT_MALFORMED', detail: 'the kept checkpoint is not a signed checkpoint' });
    return;
  }
  const first = old.data;
  const second = bundle.checkpoint;
  const signature = verifyCheckpoint(first, keys);
  if (!signature.ok) report.failures.push({ scope: 'consistency', code: `KEPT_${signature.failure}`, detail: `kept checkpoint: ${signature.detail}` });
  if (first.origin !== second.origin) {
    report.failures.push({ scope: 'consistency', code: 'ORIGIN_MISMATCH', detail: `kept checkpoint is from ${first.origin}, the bundle from ${second.origin}` });
    return;
  }
  if (first.treeSize > second.treeSize) {
    report.failures.push({ scope: 'consistency', code: 'TREE_SHRANK', detail: `kept checkpoint has ${first.treeSize} leaves, the bundle's only ${second.treeSize}` });
    return;
  }
  if (first.treeSize < second.treeSize && first.timestamp >= second.timestamp)
    report.failures.push({ scope: 'consistency', code: 'TIMESTAMP_NOT_INCREASING', detail: `a larger tree (${second.treeSize}) must carry a later timestamp than ${first.timestamp}` });
  const entry = bundle.consistencyProofs.find((p) => p.fromTreeSize === first.treeSize && p.toTreeSize === second.treeSize);
  if (!entry && first.treeSize !== second.treeSize && first.treeSize !== 0) {
    report.failures.push({
      scope: 'consistency',
      code: 'CONSISTENCY_PROOF_MISSING',
      detail: `the bundle has no consistency proof from tree size ${first.treeSize}; export it again with consistencyFrom [${first.treeSize}]`,
    });
    return;
  }
  const path = (entry?.proof ?? []).map((node) => fromBase64(node, 32));
  const nodes = path.filter((node): node is Buffer => node !== null);
  if (nodes.length !== path.length) {
    report.failures.push({ scope: 'consistency', code: 'PROOF_MALFORMED', detail: 'a consistency proof node is not 32 bytes of base64' });
    return;
  }
  const verdict = verifyConsistency(
    first.treeSize,
    second.treeSize,
    fromBase64(first.rootHash, 32) ?? Buffer.alloc(32),
    fromBase64(second.rootHash, 32) ?? Buffer.alloc(32),
    nodes,
  );
  if (!verdict.ok) {
    report.failures.push({ scope: 'consistency', code: `CONSISTENCY_${verdict.failure}`, detail: `from tree size ${first.treeSize} to ${second.treeSize}: ${verdict.detail} — the history was rewritten` });
    return;
  }
  report.consistencyVerified = { fromTreeSize: first.treeSize, toTreeSize: second.treeSize };
};
