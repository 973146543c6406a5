import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { Contract, parseInput, ProblemException } from '@attest/http';
import { lineToCsv, REPORT_CSV_HEADER, ReportLine } from '@attest/reconciliation';
import { Roles } from '../../auth/auth.decorators';
import { completedToWire, ReconciliationService } from '../reconciliation.service';
import { reportQuery, runOutput, runParams } from '../reconciliation.schemas';

/** A run's status and its report (JSON, CSV, or the exact JSON lines its hash covers). */
@Controller('v1/reconciliation/runs/:runId')
export class RunsController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  private async found(rawParams: unknown) {
    const { runId } = parseInput(runParams, rawParams, 'params');
    const run = await this.reconciliation.run(runId);
    if (!run.started) throw new ProblemException('RECONCILIATION_RUN_NOT_FOUND', `no reconciliation run ${runId}`);
    return { runId, ...run, started: run.started };
  }

  @Get()
  @Roles('finance')
  @Contract({
    summary: 'Status of a reconciliation run: started, or completed with its totals, checks and report hash',
    tags: ['reconciliation'],
    params: runParams,
    responses: { 200: runOutput },
    errors: ['RECONCILIATION_RUN_NOT_FOUND'],
  })
  async status(@Param() rawParams: unknown) {
    const run = await this.found(rawParams);
    const { started, completed } = run;
    if (completed) return { ...completedToWire(completed), status: 'completed', replayed: false, message: `completed; ${run.attempts} attempt(s)`, exceptionsPreview: [] };
    return {
      runId: run.runId,
      status: 'started',
      replayed: false,
      message: `started at ${started.startedAt}; not completed (still running, or interrupted: upload the file again to finish it)`,
      fileSha256: started.fileSha256,
      period: { from: started.periodFrom, to: started.periodTo },
      rows: null,
      unmatched: null,
      totals: [],
      processorFees: [],
      checks: [],
      reportSha256: null,
      reportLines: null,
      requestedBy: started.requestedBy,
      exceptionsPreview: [],
    };
  }

  @Get('report')
  @Roles('finance')
  @Contract({
    summary: "A completed run's report: JSON (summary + exceptions), CSV (exceptions), or ndjson (the lines its reportSha256 covers)",
    tags: ['reconciliation'],
    params: runParams,
    query: reportQuery,
    responses: { 200: z.unknown() },
    errors: ['RECONCILIATION_RUN_NOT_FOUND'],
  })
  async report(@Param() rawParams: unknown, @Query() rawQuery: unknown, @Res() reply: FastifyReply): Promise<void> {
    const run = await this.found(rawParams);
    const { format } = parseInput(reportQuery, rawQuery, 'query');
    if (!run.completed) throw new ProblemException('RECONCILIATION_RUN_NOT_FOUND', `run ${run.runId} has no report yet (not completed)`);
    const lines = this.reconciliation.reportLines(run.runId);
    const body = Readable.from(
      (async function* () {
        if (format === 'ndjson') {
          for await (const line of lines) yield `${line}\n`;
          return;
        }
        if (format === 'csv') {
          yield `${REPORT_CSV_HEADER}\n`;
          for await (const line of lines) {
            const csv = lineToCsv(JSON.parse(line) as ReportLine);
            if (csv !== null) yield `${csv}\n`;
          }
          return;
        }
        // JSON: the stored lines embedded as they are (no re-serialisation), streamed.
        let index = 0;
        for await (const line of lines) {
          if (index === 0) yield `{"reportSha256":${JSON.stringify(run.completed?.reportSha256 ?? '')},"summary":${line},"items":[`;
          else yield `${index > 1 ? ',' : ''}${line}`;
          index += 1;
        }
        yield index === 0 ? '{"items":[]}' : ']}';
      })(),
    );
    const types = { json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };
    void reply
      .status(200)
      .header('content-type', types[format])
      .header('content-disposition', `attachment; filename="reconciliation-${run.runId}.${format}"`)
      .send(body);
  }
}
