import { Controller, Get, Query } from '@nestjs/common';
import { z } from 'zod';
import { EventStore } from '@attest/event-store';
import { entryEnvelopeOf, toBase64 } from '@attest/audit';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { Roles } from '../../auth/auth.decorators';
import { MerkleLogReader } from '@attest/projections/merkle-log';
import { CheckpointService } from '../checkpoint.service';

const treeSize = z.coerce.number().int().min(0).max(2 ** 40);
const position = z.string().regex(/^[1-9]\d{0,18}$/, 'must be a positive integer in decimal digits').transform(BigInt);

const inclusionQuery = z
  .strictObject({
    eventId: z.string().min(1).max(200).optional(),
    position: position.optional(),
    /** Default: the latest checkpoint's size. */
    treeSize: treeSize.optional(),
  })
  .refine((q) => (q.eventId === undefined) !== (q.position === undefined), { message: 'give exactly one of eventId and position', path: ['eventId'] });

const consistencyQuery = z.strictObject({ from: treeSize, to: treeSize.optional() });

/**
 * RFC 9162 proofs over the Merkle log, at any size up to the current one. Compliance and
 * operators only: an inclusion proof returns the stored event (ciphertext for personal data).
 */
@Roles('compliance', 'operator')
@Controller('v1/audit/proofs')
export class ProofsController {
  constructor(
    private readonly reader: MerkleLogReader,
    private readonly checkpoints: CheckpointService,
    private readonly store: EventStore,
  ) {}

  private async sizeOr(requested: number | undefined): Promise<number> {
    if (requested !== undefined) {
      const available = await this.reader.size();
      if (requested > available) throw new ProblemException('TREE_SIZE_OUT_OF_RANGE', `the log holds ${available} leaves, not ${requested}`);
      return requested;
    }
    const latest = this.checkpoints.latest();
    if (!latest) throw new ProblemException('CHECKPOINT_NOT_FOUND', 'no checkpoint has been signed yet: give treeSize');
    return latest.treeSize;
  }

  @Get('inclusion')
  @Contract({
    summary: 'Inclusion proof of an event (by id or position) at a tree size (default: the latest checkpoint)',
    tags: ['audit'],
    query: inclusionQuery,
    responses: { 200: z.object({ leafIndex: z.number(), treeSize: z.number(), leafHash: z.string(), inclusionProof: z.array(z.string()), rootHash: z.string() }).passthrough() },
    errors: ['EVENT_NOT_IN_LOG', 'TREE_SIZE_OUT_OF_RANGE', 'CHECKPOINT_NOT_FOUND'],
  })
  async inclusion(@Query() query: unknown) {
    const q = parseInput(inclusionQuery, query, 'query');
    const leaf = q.eventId !== undefined ? await this.reader.leafByEventId(q.eventId) : q.position !== undefined ? await this.reader.leafByPosition(q.position) : undefined;
    if (!leaf) throw new ProblemException('EVENT_NOT_IN_LOG', 'no such event in the log (yet)');
    const size = await this.sizeOr(q.treeSize);
    if (leaf.leafIndex >= size) throw new ProblemException('EVENT_NOT_IN_LOG', `the event is leaf ${leaf.leafIndex}, not within a tree of ${size} leaves`);
    const proof = await this.reader.inclusionProof(leaf.leafIndex, size);
    let event = null;
    for await (const stored of this.store.adapter.readAll({ fromPosition: leaf.position, limit: 1 })) event = entryEnvelopeOf(stored);
    const checkpoint = this.checkpoints.latest();
    return {
      leafIndex: leaf.leafIndex,
      treeSize: size,
      leafHash: toBase64(leaf.hash),
      inclusionProof: proof.map(toBase64),
      rootHash: toBase64(await this.reader.root(size)),
      event,
      checkpoint: checkpoint && checkpoint.treeSize === size ? checkpoint : null,
    };
  }

  @Get('consistency')
  @Contract({
    summary: 'Consistency proof between two tree sizes (RFC 9162 §2.1.4)',
    tags: ['audit'],
    query: consistencyQuery,
    responses: { 200: z.object({ fromTreeSize: z.number(), toTreeSize: z.number(), fromRootHash: z.string(), toRootHash: z.string(), proof: z.array(z.string()) }) },
    errors: ['TREE_SIZE_OUT_OF_RANGE', 'CHECKPOINT_NOT_FOUND'],
  })
  async consistency(@Query() query: unknown) {
    const q = parseInput(consistencyQuery, query, 'query');
    const to = await this.sizeOr(q.to);
    if (q.from > to) throw new ProblemException('TREE_SIZE_OUT_OF_RANGE', `from (${q.from}) must not exceed to (${to})`);
    const proof = await this.reader.consistencyProof(q.from, to);
    return {
      fromTreeSize: q.from,
      toTreeSize: to,
      fromRootHash: toBase64(await this.reader.root(q.from)),
      toRootHash: toBase64(await this.reader.root(to)),
      proof: proof.map(toBase64),
    };
  }
}
