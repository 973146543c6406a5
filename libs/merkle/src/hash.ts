import { createHash } from 'node:crypto';

/**
 * RFC 9162 §2.1.1 hashing with SHA-256. The 0x00 / 0x01 prefixes keep a leaf from ever being
 * taken for an interior node (second-preimage resistance), which is why they are not optional.
 */
export type Hash = Buffer;

export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256() — the root of the empty tree. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (entry: Uint8Array): Hash => createHash('sha256').update(LEAF_PREFIX).update(entry).digest();

/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Hash =>
  createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();

export const hashesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;
