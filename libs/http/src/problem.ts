import { z } from 'zod';
import { isProblemCode, PROBLEM_CATALOG, ProblemCode } from './problem-catalog';

/** One field-level error: `path` is dotted (`body.amount`, `query.limit`, `body.items.0.id`). */
export interface FieldError {
  path: string;
  code: string;
  message: string;
}

/** RFC 9457 problem details, with Attest's stable `code` and field errors. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An expected failure on its way to the client. Thrown by controllers, caught by the filter. */
export class ProblemException extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: { errors?: FieldError[]; headers?: Record<string, string> } & Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ProblemException';
  }
}

/** Turns a decider `Failure` (code + detail + field) into a ProblemException. */
export const problemFromFailure = (failure: {
  code: string;
  detail: string;
  field?: string;
  context?: Record<string, unknown>;
}): ProblemException => {
  const code: ProblemCode = isProblemCode(failure.code) ? failure.code : 'INTERNAL_ERROR';
  return new ProblemException(code, failure.detail, {
    ...(failure.field ? { errors: [{ path: failure.field, code: failure.code, message: failure.detail }] } : {}),
    ...(failure.context ?? {}),
  });
};

export const problemDetails = (code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}): ProblemDetails => {
  const entry = PROBLEM_CATALOG[code];
  // Extensions first: a context key can never overwrite the standard members (status, code…).
  // `Object.assign`, not `{ ...extensions, type, … }`: on Node 20 properties added after a spread
  // take a slow map transition (ADR 0022).
  return Object.assign({}, extensions, {
    type: `urn:attest:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: entry.title,
    status: entry.status,
    detail,
    code,
  });
};

export const fieldErrorsFromZod = (error: z.ZodError, where: string): FieldError[] =>
  error.issues.flatMap((issue) => {
    const base = [where, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: `${base ? `${base}.` : ''}${key}`, code: 'unrecognized_key', message: 'unknown field' }));
    return [{ path: base, code: issue.code, message: issue.message }];
  });

/**
 * Validates request input with its one schema; on failure throws VALIDATION_FAILED with every
 * field path. `where` prefixes the paths (`body`, `query`, `params`).
 */
export const parseInput = <S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrorsFromZod(result.error, where);
  throw new ProblemException('VALIDATION_FAILED', `${errors.length} invalid field(s): ${errors.map((e) => e.path).join(', ')}`, { errors });
};
