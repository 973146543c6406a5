import { z } from 'zod';
import { defineEvent, isoInstant, opaqueId } from '@attest/event-store';
import { logPublicKeySchema, signedCheckpointSchema } from './verify/checkpoint';

/**
 * The log's own facts. Checkpoints and keys are *events* (not read-model rows): they are the
 * anchor a regulator holds us to, so they must survive a read-model rebuild, and being events
 * they are themselves leaves of the log that later checkpoints commit to (docs/adr/0006).
 */
export const LOG_CHECKPOINTS_STREAM = 'log-checkpoints';
export const auditExportsStreamId = (subjectId: string) => `audit-exports-${subjectId}`;

export const LogKeyRegistered = defineEvent({
  type: 'LogKeyRegistered',
  schemaVersion: 1,
  description: 'A public key that signs checkpoints of this log; kept for verification after rotation.',
  data: logPublicKeySchema,
});

export const LogCheckpointSigned = defineEvent({
  type: 'LogCheckpointSigned',
  schemaVersion: 1,
  description: 'A signed checkpoint (tree size, root hash, timestamp) of the Merkle log over every event.',
  data: signedCheckpointSchema,
});

export const AuditBundleExported = defineEvent({
  type: 'AuditBundleExported',
  schemaVersion: 1,
  description: "A subject's audit bundle was served (who: metadata.actor, when: metadata.recordedAt).",
  data: z.strictObject({
    subjectId: opaqueId,
    bundleId: z.string().min(1).max(100),
    treeSize: z.number().int().min(0),
    eventCount: z.number().int().min(0),
    noticeCount: z.number().int().min(0),
    from: isoInstant.nullable(),
    to: isoInstant.nullable(),
  }),
  // The stated reason is free text an operator typed: personal-data section (may name people).
  pii: z.strictObject({ reason: z.string().min(3).max(500) }),
  // Encrypted under the audit function's own key, not the subject's: a regulator must be able to
  // export (and record exporting) the trail of a subject who has been erased.
  piiOwner: () => 'org:audit-exports',
});

export const AUDIT_EVENTS = [LogKeyRegistered, LogCheckpointSigned, AuditBundleExported];
