import { LoggedLeaf } from '@attest/audit/log-check';
import { assemble, consistencyPlan, EMPTY_ROOT, Hash, inclusionPlan, nodesNeeded, Range, subtreeHash } from '@attest/merkle';
import { ReadModelQueries } from '@attest/projection-runner';
import { readNodes } from './merkle-log.nodes';

/** The tree cannot answer: the size asked for is beyond what the log holds (yet). */
export class TreeSizeOutOfRange extends Error {
  readonly code = 'TREE_SIZE_OUT_OF_RANGE';
  constructor(
    readonly requested: number,
    readonly available: number,
  ) {
    super(`tree size ${requested} is out of range: the log holds ${available} leaves`);
    this.name = 'TreeSizeOutOfRange';
  }
}

const LEAVES_PAGE = 1_000;

interface LeafRow {
  position: bigint;
  leaf_index: bigint;
  event_id: string;
  hash: Buffer;
}
const toLeaf = (row: LeafRow): LoggedLeaf => ({
  leafIndex: Number(row.leaf_index),
  position: BigInt(row.position),
  eventId: row.event_id,
  hash: row.hash,
});
const LEAF_COLUMNS = 'l.position, l.leaf_index, l.event_id, n.hash FROM merkle_leaves l JOIN merkle_nodes n ON n.id = l.leaf_index';

/**
 * Queries over the Merkle log read model: roots and proofs of any size up to the current one,
 * each answered with one batched read of the O(log n) perfect nodes it needs. Nodes never change
 * once written, so a proof read while the projection appends is still exact for its size.
 */
export class MerkleLogReader {
  constructor(private readonly query: ReadModelQueries) {}

  async size(): Promise<number> {
    const row = await this.query.get<{ leaf_index: bigint }>('SELECT leaf_index FROM merkle_leaves ORDER BY position DESC LIMIT 1');
    return row ? Number(row.leaf_index) + 1 : 0;
  }

  async leafByPosition(position: bigint): Promise<LoggedLeaf | undefined> {
    const row = await this.query.get<LeafRow>(`SELECT ${LEAF_COLUMNS} WHERE l.position = ?`, position);
    return row && toLeaf(row);
  }

  async leafByEventId(eventId: string): Promise<LoggedLeaf | undefined> {
    const row = await this.query.get<LeafRow>(`SELECT ${LEAF_COLUMNS} WHERE l.event_id = ?`, eventId);
    return row && toLeaf(row);
  }

  /** Every leaf in order, page by page (for `audit check`). */
  async *leaves(): AsyncGenerator<LoggedLeaf> {
    let after = 0n;
    for (;;) {
      const rows = await this.query.all<LeafRow>(`SELECT ${LEAF_COLUMNS} WHERE l.position > ? ORDER BY l.position LIMIT ?`, after, LEAVES_PAGE);
      for (const row of rows) yield toLeaf(row);
      const last = rows[rows.length - 1];
      if (!last || rows.length < LEAVES_PAGE) return;
      after = BigInt(last.position);
    }
  }

  private async checkSize(size: number): Promise<void> {
    const available = await this.size();
    if (!Number.isSafeInteger(size) || size < 0 || size > available) throw new TreeSizeOutOfRange(size, available);
  }

  private async answer(plan: Range[]): Promise<Hash[]> {
    return assemble(plan, await readNodes(this.query, nodesNeeded(plan)));
  }

  async root(size: number): Promise<Hash> {
    await this.checkSize(size);
    if (size === 0) return EMPTY_ROOT;
    const whole: Range = { start: 0, end: size };
    return subtreeHash(whole, await readNodes(this.query, nodesNeeded([whole])));
  }

  /** Audit path of leaf `index` in the tree of `size` leaves (the caller checks index < size). */
  async inclusionProof(index: number, size: number): Promise<Hash[]> {
    await this.checkSize(size);
    return this.answer(inclusionPlan(index, size));
  }

  async consistencyProof(first: number, second: number): Promise<Hash[]> {
    await this.checkSize(second);
    return this.answer(consistencyPlan(first, second));
  }
}
