import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ProblemException } from '@attest/http';
import { CheckpointService } from '../checkpoint.service';

/** Signed checkpoints of the Merkle log, and the keys that sign them. */
@Controller('v1/audit')
export class CheckpointsController {
  constructor(private readonly checkpoints: CheckpointService) {}

  @Get('checkpoints/latest')
  latest() {
    const checkpoint = this.checkpoints.latest();
    if (!checkpoint) throw new ProblemException('CHECKPOINT_NOT_FOUND', 'no checkpoint has been signed yet');
    return { checkpoint, publicKey: this.checkpoints.keyFor(checkpoint) ?? null };
  }

  /** On demand: catch up with every stored event and sign (or return the checkpoint that covers it). */
  @Post('checkpoints')
  @HttpCode(201)
  async issue() {
    const checkpoint = await this.checkpoints.issueNow();
    return { checkpoint, publicKey: this.checkpoints.keyFor(checkpoint) ?? null };
  }

  @Get('keys')
  keys() {
    return { keys: this.checkpoints.publicKeys() };
  }
}
