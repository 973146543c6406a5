import { SetMetadata } from '@nestjs/common';
import { z } from 'zod';
import { ProblemCode } from './problem-catalog';

export const CONTRACT_KEY = 'attest:contract';

/**
 * A route's contract, from the same zod schemas that validate it (schemas once): the OpenAPI
 * document is generated from these, and a test checks every route has one and that its
 * examples validate.
 */
export interface RouteContract {
  summary: string;
  description?: string;
  tags?: string[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success responses by status code. */
  responses: Partial<Record<200 | 201 | 202 | 204, z.ZodType | null>>;
  /** Problem codes this route can answer with (beyond validation and auth). */
  errors?: ProblemCode[];
  /** Example request bodies; each must validate against `body`. */
  examples?: unknown[];
}

export const Contract = (contract: RouteContract) => SetMetadata(CONTRACT_KEY, contract);
