import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AttestConfig } from '@attest/config';
import { ProblemDetailsFilter } from '@attest/http';
import { v7 as uuidv7 } from 'uuid';
import { createHash } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { AppModule } from './app.module';
import { MetricsService } from './metrics/metrics.service';
import { buildOpenApi } from './openapi/openapi';

export const API_VERSION = '0.1.0';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the Fastify-based Nest application (used by main.ts and every e2e test). */
export const createApp = async (config: AttestConfig): Promise<NestFastifyApplication> => {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // Correlation id: X-Request-Id when well-formed, else a fresh uuid v7. Stored on the raw
    // request too, where pino-http (the logger) and the controllers pick it up.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const header = request.headers['x-request-id'];
      const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : uuidv7();
      (request as { id?: string }).id = id;
      return id;
    },
    // Refuse prototype-pollution keys in JSON bodies instead of silently dropping them.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const filter = new ProblemDetailsFilter(config.mode === 'dev' || config.mode === 'test');
  app.useGlobalFilters(filter);
  // Errors Fastify raises before routing (content type, body size, JSON syntax) reach the same
  // filter through Nest's error handler; the filter recognises Fastify's error codes.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Request rate and latency per route pattern (never the raw URL: ids would explode the labels).
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  // Rate limit per bearer token (per address without one) on write methods; reads are not limited.
  if (config.http.writesPerMinutePerToken > 0) {
    await app.register(fastifyRateLimit, {
      global: true,
      max: config.http.writesPerMinutePerToken,
      timeWindow: 60_000,
      allowList: (request) => !WRITE_METHODS.has(request.method),
      keyGenerator: (request) => {
        // The plugin asks for the key before it consults allowList: a read is exempt whatever its
        // key, so it is not worth a SHA-256 of the token (~2% of the event loop on credit reads).
        if (!WRITE_METHODS.has(request.method)) return 'exempt:read';
        const header = request.headers.authorization;
        return typeof header === 'string' ? `token:${createHash('sha256').update(header).digest('base64url')}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: `at most ${context.max} write requests per minute per token; retry in ${Math.ceil(context.ttl / 1000)} s`,
      }),
    });
  }
  // OpenAPI 3.1 from the routes' contracts, served at /openapi.json and as Swagger UI at /docs.
  const document = buildOpenApi(app, API_VERSION);
  await app.register(fastifySwagger, { mode: 'static', specification: { document: document as never } });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.getHttpAdapter().getInstance().get('/openapi.json', async () => document);
  app.enableShutdownHooks();
  return app;
};
