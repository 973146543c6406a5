import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { Public, Roles } from '../../auth/auth.decorators';
import { CheckpointService } from '../checkpoint.service';

const IssueBody = z.strictObject({}).optional();
const CheckpointResponse = z.object({ checkpoint: z.object({ treeSize: z.number(), rootHash: z.string() }).passthrough(), publicKey: z.unknown() });

/** Signed checkpoints of the Merkle log, and the keys that sign them. */
@Controller('v1/audit')
export class CheckpointsController {
  constructor(private readonly checkpoints: CheckpointService) {}

  /** Public, like a transparency log's checkpoint: anyone may hold us to it. */
  @Get('checkpoints/latest')
  @Public()
  @Contract({ summary: 'The latest signed checkpoint of the Merkle log and its public key', tags: ['audit'], responses: { 200: CheckpointResponse }, errors: ['CHECKPOINT_NOT_FOUND'] })
  latest() {
    const checkpoint = this.checkpoints.latest();
    if (!checkpoint) throw new ProblemException('CHECKPOINT_NOT_FOUND', 'no checkpoint has been signed yet');
    return { checkpoint, publicKey: this.checkpoints.keyFor(checkpoint) ?? null };
  }

  /** On demand: catch up with every stored event and sign (or return the checkpoint that covers it). */
  @Post('checkpoints')
  @HttpCode(201)
  @Roles('operator')
  @Contract({ summary: 'Sign a checkpoint now, covering every stored event', tags: ['audit'], body: IssueBody, responses: { 201: CheckpointResponse } })
  async issue(@Body() body: unknown) {
    // No parameters: anything but an empty object (or no body) is a mistake worth refusing.
    parseInput(IssueBody, body, 'body');
    const checkpoint = await this.checkpoints.issueNow();
    return { checkpoint, publicKey: this.checkpoints.keyFor(checkpoint) ?? null };
  }

  @Get('keys')
  @Public()
  @Contract({ summary: 'Every public key that signed checkpoints (rotated keys included)', tags: ['audit'], responses: { 200: z.object({ keys: z.array(z.object({}).passthrough()) }) } })
  keys() {
    return { keys: this.checkpoints.publicKeys() };
  }
}
