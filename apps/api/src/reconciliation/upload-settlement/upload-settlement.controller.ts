import { Controller, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Actor } from '@attest/auth';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { SettlementFormat } from '@attest/reconciliation';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { completedToWire, ReconciliationService, RunOutcome } from '../reconciliation.service';
import { runOutput, uploadQuery } from '../reconciliation.schemas';

/** The media types of settlement files; their bodies reach the controller as streams (see ReconciliationModule). */
export const SETTLEMENT_MEDIA_TYPES: Record<string, SettlementFormat> = { 'text/csv': 'csv', 'application/x-ndjson': 'jsonl' };

export const outcomeToWire = (outcome: RunOutcome) => ({
  ...completedToWire(outcome.completed),
  status: 'completed' as const,
  replayed: outcome.replayed,
  message: outcome.replayed
    ? `this file (SHA-256 ${outcome.completed.fileSha256}) was already reconciled for ${outcome.completed.periodFrom}..${outcome.completed.periodTo} at ${outcome.completed.completedAt}; nothing was recorded again`
    : `reconciled: ${outcome.completed.unmatched} item(s) need attention`,
  exceptionsPreview: outcome.exceptionsPreview,
});

/** Upload a settlement file: it is read as a stream, reconciled, and the run recorded. */
@Controller('v1/reconciliation/runs')
export class UploadSettlementController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Post()
  @Roles('finance')
  @Contract({
    summary: 'Reconcile a settlement file against the ledger for a period',
    description:
      'Body: the file itself, `text/csv` or `application/x-ndjson` (docs/settlement-file-format.md), streamed. 201 with the new run; 200 with `replayed: true` when the same file was already reconciled for the same period and tolerance.',
    tags: ['reconciliation'],
    query: uploadQuery,
    responses: { 200: runOutput, 201: runOutput },
    errors: ['SETTLEMENT_FILE_INVALID', 'UNSUPPORTED_MEDIA_TYPE', 'PROJECTION_LAGGING', 'CONCURRENCY_CONFLICT'],
  })
  async upload(@Query() rawQuery: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const query = parseInput(uploadQuery, rawQuery, 'query');
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const format = SETTLEMENT_MEDIA_TYPES[mediaType];
    const body = request.body;
    if (!format || !(body instanceof Readable))
      throw new ProblemException('UNSUPPORTED_MEDIA_TYPE', 'send the settlement file as text/csv or application/x-ndjson', {
        errors: [{ path: 'headers.content-type', code: 'UNSUPPORTED_MEDIA_TYPE', message: 'must be text/csv or application/x-ndjson' }],
      });
    const outcome = await this.reconciliation.reconcile({
      source: body,
      format,
      period: { from: query.from, to: query.to },
      toleranceSeconds: query.toleranceSeconds ?? null,
      actor,
      requestId: request.id,
    });
    void reply.status(outcome.replayed ? 200 : 201);
    return outcomeToWire(outcome);
  }
}
