import { z } from 'zod';
import { entryEnvelopeSchema } from './entry';
import { logPublicKeySchema, signedCheckpointSchema } from './checkpoint';

/**
 * The audit bundle, format `attest.audit-bundle` version 1 (docs/audit-bundle-format.md): a
 * subject's events, each with its inclusion proof against one signed checkpoint, the notice
 * versions they cite (with proofs too), the checkpoint, the public keys, and consistency proofs
 * from earlier tree sizes the requester asked for.
 */
export const BUNDLE_FORMAT = 'attest.audit-bundle';
export const BUNDLE_VERSION = 1;
/** Bounds (TIGER_STYLE): a bundle is one subject's trail, not a dump of the log. */
export const BUNDLE_EVENTS_MAX = 50_000;
export const BUNDLE_NOTICES_MAX = 1_000;
export const BUNDLE_CONSISTENCY_PROOFS_MAX = 16;
const PROOF_NODES_MAX = 64;

const hashText = z.string().length(44);
const instant = z.iso.datetime({ offset: false });

export const provenEventSchema = z.strictObject({
  leafIndex: z.number().int().min(0),
  event: entryEnvelopeSchema,
  /** RFC 9162 audit path, base64 hashes, leaf to root. */
  inclusionProof: z.array(hashText).max(PROOF_NODES_MAX),
});
export type ProvenEvent = z.output<typeof provenEventSchema>;

export const consistencyProofSchema = z.strictObject({
  fromTreeSize: z.number().int().min(0),
  toTreeSize: z.number().int().min(0),
  proof: z.array(hashText).max(PROOF_NODES_MAX),
});
export type ConsistencyProofEntry = z.output<typeof consistencyProofSchema>;

export const auditBundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  bundleId: z.string().min(1).max(100),
  generatedAt: instant,
  subjectId: z.string().min(1).max(64),
  streamId: z.string().min(1).max(200),
  range: z.strictObject({ from: instant.nullable(), to: instant.nullable() }),
  checkpoint: signedCheckpointSchema,
  publicKeys: z.array(logPublicKeySchema).min(1).max(64),
  events: z.array(provenEventSchema).max(BUNDLE_EVENTS_MAX),
  notices: z.array(provenEventSchema).max(BUNDLE_NOTICES_MAX),
  consistencyProofs: z.array(consistencyProofSchema).max(BUNDLE_CONSISTENCY_PROOFS_MAX),
});
export type AuditBundle = z.output<typeof auditBundleSchema>;
