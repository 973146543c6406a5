import { createHash, hash } from 'node:crypto';

/**
 * RFC 9162 §2.1.1 hashing with SHA-256. The 0x00 / 0x01 prefixes keep a leaf from ever being
 * taken for an interior node (second-preimage resistance), which is why they are not optional.
 *
 * Hashing the log is on its append path (two SHA-256 per leaf), so: one-shot `crypto.hash`
 * rather than `createHash().update().digest()` (for inputs of a few hundred bytes the Hash object
 * costs more than SHA-256 itself), and the digest taken as a 'binary' (latin1, one char per byte)
 * string copied into a Buffer — Node 20 gives every 'buffer' digest an ArrayBuffer of its own,
 * which costs about as much again as hashing a node, while Buffer.from of 32 bytes slices a pool.
 */
export type Hash = Buffer;

export const HASH_SIZE = 32;

/** MTH({}) = SHA-256() — the root of the empty tree. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

const sha256 = (input: string | Uint8Array): Hash => Buffer.from(hash('sha256', input, 'binary'), 'binary');

/** MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (entry: Uint8Array): Hash => {
  const prefixed = Buffer.allocUnsafe(entry.length + 1);
  prefixed[0] = 0x00;
  prefixed.set(entry, 1);
  return sha256(prefixed);
};

/**
 * MTH({d}) for an entry given as text: SHA-256(0x00 || UTF-8(text)), without a Buffer of the
 * entry in between. U+0000 is the single byte 0x00 in UTF-8, and a prefix that is a whole code
 * point never changes how the rest encodes, so this equals `leafHash(Buffer.from(text))`.
 */
export const leafHashOfText = (text: string): Hash => sha256(`\u0000${text}`);

// 0x01 || left || right, assembled in one reused buffer (hashing is synchronous).
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;

/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Hash => {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return createHash('sha256').update(nodeInput.subarray(0, 1)).update(left).update(right).digest();
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
};

export const hashesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;
