import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { EventStoreError, InvalidEvent, WrongExpectedRevision } from '@attest/event-store';
import { ProjectionLagging } from '@attest/projection-runner';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemDetails, problemDetails, ProblemException, PROBLEM_CONTENT_TYPE } from './problem';
import { ProblemCode } from './problem-catalog';

const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
};

const HTTP_CODES: Record<number, ProblemCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * Every error leaves as `application/problem+json` (RFC 9457) with a stable `code`. Expected
 * failures carry their own code; anything unexpected is logged and becomes INTERNAL_ERROR
 * without internal detail outside dev mode.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly exposeInternals: boolean) {}

  /** `request`: who asked, for the log line of an unexpected error (the id is the X-Request-Id answered). */
  toProblem(error: unknown, request?: { id?: string; method?: string; url?: string }): { problem: ProblemDetails; headers: Record<string, string> } {
    if (error instanceof ProblemException) {
      const { headers, ...extensions } = error.extensions;
      return { problem: problemDetails(error.code, error.detail, extensions), headers: headers ?? {} };
    }
    if ((error as { code?: unknown }).code === 'SUBJECT_ERASED' && error instanceof Error)
      return { problem: problemDetails('SUBJECT_ERASED', error.message), headers: {} };
    if (error instanceof ProjectionLagging)
      return { problem: problemDetails('PROJECTION_LAGGING', error.message), headers: { 'retry-after': '1' } };
    if (error instanceof WrongExpectedRevision)
      return { problem: problemDetails('CONCURRENCY_CONFLICT', 'the resource changed while the command ran; retry it'), headers: {} };
    if (error instanceof InvalidEvent)
      return {
        problem: problemDetails('INVALID_EVENT', error.message, {
          errors: error.issues.map((i) => ({ path: i.path, code: 'invalid_event', message: i.message })),
        }),
        headers: {},
      };
    if (error instanceof EventStoreError && error.code === 'STORE_UNAVAILABLE')
      return { problem: problemDetails('SERVICE_UNAVAILABLE', 'the event store is not available'), headers: { 'retry-after': '5' } };
    const fastifyCode = (error as { code?: unknown }).code;
    if (typeof fastifyCode === 'string' && FASTIFY_CODES[fastifyCode]) {
      const code = FASTIFY_CODES[fastifyCode];
      return { problem: problemDetails(code, (error as Error).message), headers: {} };
    }
    if (error instanceof SyntaxError && /JSON/i.test(error.message))
      return { problem: problemDetails('MALFORMED_JSON', 'the body is not valid JSON'), headers: {} };
    if (error instanceof HttpException) {
      const status = error.getStatus();
      // Nest turns Fastify's JSON syntax errors into a plain BadRequestException.
      if (status === 400 && /not valid JSON|JSON/.test(error.message))
        return { problem: problemDetails('MALFORMED_JSON', error.message), headers: {} };
      const code = HTTP_CODES[status];
      // Terminus answers a failed readiness check with the whole health report: keep it.
      if (status === 503) {
        const report = error.getResponse();
        return { problem: problemDetails('SERVICE_UNAVAILABLE', 'a dependency is not healthy', typeof report === 'object' ? { health: report } : {}), headers: { 'retry-after': '5' } };
      }
      if (code) {
        const detail = status === 404 ? 'no such route or resource' : error.message;
        return { problem: problemDetails(code, detail), headers: {} };
      }
    }
    if (fastifyCode === 'RATE_LIMITED') return { problem: problemDetails('RATE_LIMITED', (error as Error).message ?? 'rate limited'), headers: {} };
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && HTTP_CODES[status]) {
      return { problem: problemDetails(HTTP_CODES[status] as ProblemCode, (error as Error).message), headers: {} };
    }
    const where = request ? `${request.method ?? '?'} ${request.url?.split('?')[0] ?? '?'} (request ${request.id ?? 'unknown'}): ` : '';
    this.logger.error(where + (error instanceof Error ? (error.stack ?? error.message) : String(error)));
    const detail = this.exposeInternals && error instanceof Error ? error.message : 'an unexpected error occurred; it was logged';
    return { problem: problemDetails('INTERNAL_ERROR', detail), headers: {} };
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { problem, headers } = this.toProblem(error, request);
    if (request?.url) problem.instance = request.url.split('?')[0] as string;
    void reply.status(problem.status).headers(headers).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
