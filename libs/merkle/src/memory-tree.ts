import { EMPTY_ROOT, Hash, leafHash, nodeHash } from './hash';
import { consistencyProof, inclusionProof, NodeReader, rootFromNodes } from './proofs';
import { NodeRef } from './ranges';

/**
 * A whole tree in memory, levels of perfect nodes (level 0 = leaf hashes). For tests, the
 * benchmark and offline tools; the service keeps the same nodes in its read model instead.
 */
export class MemoryTree {
  private readonly levels: Hash[][] = [[]];

  get size(): number {
    return this.levels[0]?.length ?? 0;
  }

  appendEntry(entry: Uint8Array): number {
    return this.appendLeafHash(leafHash(entry));
  }

  /** Appends a leaf hash and every perfect node it completes; returns the leaf's index. */
  appendLeafHash(hash: Hash): number {
    const index = this.size;
    let level = 0;
    let position = index;
    let current = hash;
    for (;;) {
      const row = this.levels[level] ?? (this.levels[level] = []);
      row.push(current);
      if (position % 2 === 0) break;
      const left = row[position - 1];
      if (!left) throw new Error(`missing node ${level}:${position - 1}`);
      current = nodeHash(left, current);
      level++;
      position = (position - 1) / 2;
    }
    return index;
  }

  readonly read: NodeReader = (node: NodeRef) => {
    const hash = this.levels[node.level]?.[node.index];
    if (!hash) throw new Error(`node ${node.level}:${node.index} is not in the tree`);
    return hash;
  };

  root(size = this.size): Hash {
    return size === 0 ? EMPTY_ROOT : rootFromNodes(size, this.read);
  }

  inclusionProof(index: number, size = this.size): Hash[] {
    return inclusionProof(index, size, this.read);
  }

  consistencyProof(first: number, second = this.size): Hash[] {
    return consistencyProof(first, second, this.read);
  }
}

/**
 * The right edge of a tree (one perfect node per set bit of its size): enough to append and to
 * compute the root, in O(log n) memory. `attest audit check` streams millions of events through
 * one of these.
 */
export class CompactRange {
  /** Perfect nodes from the largest (leftmost) to the smallest. */
  private nodes: Hash[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(leaf: Hash): void {
    this.count++;
    let hash = leaf;
    // The new size's trailing zero bits say how many nodes merge with the new leaf.
    let merges = this.count;
    while (merges % 2 === 0) {
      const left = this.nodes.pop();
      if (!left) throw new Error('compact range underflow');
      hash = nodeHash(left, hash);
      merges /= 2;
    }
    this.nodes.push(hash);
  }

  root(): Hash {
    const last = this.nodes[this.nodes.length - 1];
    if (!last) return EMPTY_ROOT;
    let hash = last;
    for (let i = this.nodes.length - 2; i >= 0; i--) {
      const node = this.nodes[i];
      if (node) hash = nodeHash(node, hash);
    }
    return hash;
  }
}
