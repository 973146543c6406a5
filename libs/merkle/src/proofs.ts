import { EMPTY_ROOT, Hash, hashesEqual, nodeHash } from './hash';
import { assertTreeSize, decompose, isPowerOfTwo, NodeRef, Range, splitPoint } from './ranges';

/**
 * Proof generation (RFC 9162 §2.1.3.1 and §2.1.4.1) and verification (§2.1.3.2 and §2.1.4.2).
 *
 * Generation is split in two so that a store can answer in one round trip: a *plan* (pure
 * arithmetic: which subtrees, in proof order), the perfect nodes the plan needs, then the
 * assembly from those nodes. Verification follows the RFC's numbered steps literally; the step
 * numbers are in the comments so a reviewer can hold the two side by side.
 */

/** Reads one perfect node; throws if the store does not have it (a broken invariant). */
export type NodeReader = (node: NodeRef) => Hash;

/** PATH(m, D[n]): the subtrees of the audit path of leaf `index` in a tree of `size`, in order. */
export const inclusionPlan = (index: number, size: number): Range[] => {
  assertTreeSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const path: Range[] = [];
  const walk = (m: number, start: number, end: number): void => {
    if (end - start === 1) return;
    const k = splitPoint(end - start);
    if (m < k) {
      walk(m, start, start + k);
      path.push({ start: start + k, end });
    } else {
      walk(m - k, start + k, end);
      path.push({ start, end: start + k });
    }
  };
  walk(index, 0, size);
  return path;
};

/** PROOF(m, D[n]) for 0 < m < n; empty when m = n or m = 0 (nothing to prove). */
export const consistencyPlan = (first: number, second: number): Range[] => {
  assertTreeSize(first, 'first tree size');
  assertTreeSize(second, 'second tree size');
  if (first > second) throw new RangeError(`first tree size ${first} is larger than the second ${second}`);
  const proof: Range[] = [];
  if (first === 0 || first === second) return proof;
  const sub = (m: number, start: number, end: number, whole: boolean): void => {
    if (m === end - start) {
      if (!whole) proof.push({ start, end });
      return;
    }
    const k = splitPoint(end - start);
    if (m <= k) {
      sub(m, start, start + k, whole);
      proof.push({ start: start + k, end });
    } else {
      sub(m - k, start + k, end, false);
      proof.push({ start, end: start + k });
    }
  };
  sub(first, 0, second, true);
  return proof;
};

/** The distinct perfect nodes a plan needs (what a store fetches). */
export const nodesNeeded = (plan: readonly Range[]): NodeRef[] => {
  const seen = new Map<string, NodeRef>();
  for (const range of plan) for (const node of decompose(range)) seen.set(`${node.level}:${node.index}`, node);
  return [...seen.values()];
};

/** MTH(D[start:end]) from perfect nodes: fold the decomposition from the right. */
export const subtreeHash = (range: Range, read: NodeReader): Hash => {
  const nodes = decompose(range);
  const last = nodes[nodes.length - 1];
  if (!last) throw new RangeError('empty range');
  let hash = read(last);
  for (let i = nodes.length - 2; i >= 0; i--) {
    const node = nodes[i];
    if (node) hash = nodeHash(read(node), hash);
  }
  return hash;
};

export const assemble = (plan: readonly Range[], read: NodeReader): Hash[] => plan.map((range) => subtreeHash(range, read));

export const rootFromNodes = (size: number, read: NodeReader): Hash => (size === 0 ? EMPTY_ROOT : subtreeHash({ start: 0, end: size }, read));

export const inclusionProof = (index: number, size: number, read: NodeReader): Hash[] => assemble(inclusionPlan(index, size), read);

export const consistencyProof = (first: number, second: number, read: NodeReader): Hash[] => assemble(consistencyPlan(first, second), read);

/** Why a proof does not verify; stable codes for the verifier's report. */
export type ProofFailure =
  | 'INDEX_OUT_OF_RANGE'
  | 'TREE_SIZES_INVALID'
  | 'PATH_TOO_LONG'
  | 'PATH_TOO_SHORT'
  | 'ROOT_MISMATCH'
  | 'FIRST_ROOT_MISMATCH'
  | 'SECOND_ROOT_MISMATCH'
  | 'EMPTY_PROOF'
  | 'PROOF_NOT_EMPTY';

export type ProofVerdict = { ok: true } | { ok: false; failure: ProofFailure; detail: string };

const fail = (failure: ProofFailure, detail: string): ProofVerdict => ({ ok: false, failure, detail });

const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const lsb = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2, step by step. */
export const verifyInclusion = (
  leafIndex: number,
  treeSize: number,
  leaf: Hash,
  inclusionPath: readonly Uint8Array[],
  rootHash: Uint8Array,
): ProofVerdict => {
  // 1. Compare leaf_index against tree_size. If leaf_index is greater than or equal to tree_size, fail.
  if (!isSize(leafIndex) || !isSize(treeSize) || leafIndex >= treeSize)
    return fail('INDEX_OUT_OF_RANGE', `leaf index ${leafIndex} is not below tree size ${treeSize}`);
  // JS bitwise operators are 32-bit and sizes go to 2^40, so LSB and right shifts are written
  // as `% 2` and halving, exact for any safe integer.
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = leafIndex;
  let sn = treeSize - 1;
  // 3. Set r to hash.
  let r: Hash = Buffer.from(leaf);
  // 4. For each value p in the inclusion_path array:
  for (const p of inclusionPath) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return fail('PATH_TOO_LONG', `the path has more than the ${inclusionPath.length - 1} node(s) this position needs`);
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the root_hash are equal, verified.
  if (sn !== 0) return fail('PATH_TOO_SHORT', 'the path ends before reaching the root');
  if (!hashesEqual(r, rootHash)) return fail('ROOT_MISMATCH', 'the path leads to a different root hash');
  return { ok: true };
};

/**
 * RFC 9162 §2.1.4.2, step by step, for 0 < first < second. The two cases the RFC leaves out are
 * handled first, as Trillian does: equal sizes need an empty proof and equal roots; a first size
 * of 0 (the empty tree is a prefix of every tree) needs an empty proof.
 */
export const verifyConsistency = (
  first: number,
  second: number,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): ProofVerdict => {
  if (!isSize(first) || !isSize(second) || first > second)
    return fail('TREE_SIZES_INVALID', `first tree size ${first} must be at most the second ${second}`);
  if (first === second) {
    if (consistencyPath.length > 0) return fail('PROOF_NOT_EMPTY', 'equal tree sizes need an empty proof');
    return hashesEqual(firstHash, secondHash) ? { ok: true } : fail('ROOT_MISMATCH', 'same tree size, different root hashes');
  }
  if (first === 0) return consistencyPath.length === 0 ? { ok: true } : fail('PROOF_NOT_EMPTY', 'a proof from the empty tree is empty');
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (consistencyPath.length === 0) return fail('EMPTY_PROOF', 'the consistency proof is empty');
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path: Uint8Array[] = isPowerOfTwo(first) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = first - 1;
  let sn = second - 1;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  const [head, ...rest] = path;
  if (!head) return fail('EMPTY_PROOF', 'the consistency proof is empty');
  let fr: Hash = Buffer.from(head);
  let sr: Hash = Buffer.from(head);
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of rest) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) return fail('PATH_TOO_LONG', 'the proof has more nodes than these tree sizes need');
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
  if (sn !== 0) return fail('PATH_TOO_SHORT', 'the proof ends before reaching the second root');
  if (!hashesEqual(fr, firstHash)) return fail('FIRST_ROOT_MISMATCH', 'the proof does not lead to the first root hash');
  if (!hashesEqual(sr, secondHash)) return fail('SECOND_ROOT_MISMATCH', 'the proof does not lead to the second root hash');
  return { ok: true };
};
