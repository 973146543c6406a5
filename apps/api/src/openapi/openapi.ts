import type { INestApplicationContext } from '@nestjs/common';
import { z } from 'zod';
import { PROBLEM_CATALOG } from '@attest/http';
import { discoverRoutes } from './routes';

type JsonSchema = Record<string, unknown>;

/** Request side: what a client sends (codec inputs); response side: what it receives. */
const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json['$schema'];
  return json;
};

const parameters = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
    ...(typeof property['description'] === 'string' ? { description: property['description'] } : {}),
  }));
};

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(PROBLEM_CATALOG) },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['path', 'code', 'message'], properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/**
 * OpenAPI 3.1 generated from the routes' @Contract metadata — the same zod schemas that validate
 * requests — so the document cannot drift from the code.
 */
export const buildOpenApi = (app: INestApplicationContext, version: string) => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of discoverRoutes(app)) {
    const contract = route.contract;
    if (!contract) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(contract.responses)) {
      responses[status] = schema
        ? { description: 'success', content: { 'application/json': { schema: toSchema(schema, 'output') } } }
        : { description: 'success, no body' };
    }
    const errorCodes = ['VALIDATION_FAILED', ...(route.isPublic ? [] : ['UNAUTHENTICATED', 'FORBIDDEN']), ...(contract.errors ?? [])];
    const byStatus = new Map<number, string[]>();
    for (const code of errorCodes) {
      const status = PROBLEM_CATALOG[code as keyof typeof PROBLEM_CATALOG]?.status;
      if (status) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of byStatus)
      responses[String(status)] = {
        description: codes.join(', '),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    paths[path] = {
      ...(paths[path] ?? {}),
      [route.method.toLowerCase()]: {
        operationId: `${route.controller}.${route.handler}`,
        summary: contract.summary,
        ...(contract.description ? { description: contract.description } : {}),
        tags: contract.tags ?? [],
        ...(route.isPublic ? { security: [] } : { security: [{ bearer: [] }], 'x-roles': route.roles ?? [] }),
        parameters: [...parameters(contract.params, 'path'), ...parameters(contract.query, 'query')],
        ...(contract.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': {
                    schema: toSchema(contract.body, 'input'),
                    ...(contract.examples?.length ? { examples: Object.fromEntries(contract.examples.map((e, i) => [`example${i + 1}`, { value: e }])) } : {}),
                  },
                },
              },
            }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Attest API',
      version,
      description: 'Event-sourced ledger and consent audit system. Errors are application/problem+json (RFC 9457) with a stable `code`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: PROBLEM_SCHEMA },
    },
    paths,
  };
};
