/**
 * Subtree arithmetic shared by proof generation and storage.
 *
 * Every subtree the RFC 9162 recursion ever names, [start, end), is *aligned*: `start` is a
 * multiple of the smallest power of two ≥ its size. So a subtree whose size is a power of two is a
 * stored "perfect" node (level = log2(size), index = start / size), and any other subtree is the
 * right-to-left fold of at most log2(n) perfect nodes (its binary decomposition). That is what
 * lets the log answer any proof with O(log n) node reads.
 */

/** Largest supported tree: indices stay exact in a JS number, and node ids fit (see `nodeId`). */
export const TREE_SIZE_MAX = 2 ** 40;

export interface Range {
  /** First leaf, inclusive. */
  start: number;
  /** Last leaf, exclusive. */
  end: number;
}

/** A perfect subtree: 2^level leaves starting at leaf `index * 2^level`. Level 0 is a leaf. */
export interface NodeRef {
  level: number;
  index: number;
}

// Bitwise tricks stop at 2^31; tree sizes go to 2^40, so compare with an exact power instead.
export const isPowerOfTwo = (n: number): boolean => Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** k = the largest power of two strictly smaller than n (n ≥ 2): the RFC 9162 split point. */
export const splitPoint = (n: number): number => {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`split of a tree of size ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** The perfect nodes whose fold is MTH(D[start:end]), left to right. */
export const decompose = (range: Range): NodeRef[] => {
  const nodes: NodeRef[] = [];
  let { start } = range;
  const { end } = range;
  if (!(end > start)) throw new RangeError(`empty or inverted range [${start}, ${end})`);
  while (start < end) {
    const size = end - start;
    const piece = isPowerOfTwo(size) ? size : splitPoint(size);
    if (start % piece !== 0) throw new RangeError(`range [${range.start}, ${range.end}) is not aligned`);
    nodes.push({ level: Math.log2(piece), index: start / piece });
    start += piece;
  }
  return nodes;
};

/**
 * One integer per node, for storage keys: level × 2^40 + index. With TREE_SIZE_MAX = 2^40 and at
 * most 41 levels, every id stays below 2^46, exact in a JS number and in SQLite's 64-bit rowid.
 */
export const nodeId = (node: NodeRef): number => nodeIdAt(node.level, node.index);
export const nodeIdAt = (level: number, index: number): number => level * TREE_SIZE_MAX + index;

export const assertTreeSize = (size: number, what = 'tree size'): void => {
  if (!Number.isSafeInteger(size) || size < 0 || size > TREE_SIZE_MAX) throw new RangeError(`${what} ${size} is out of range`);
};
