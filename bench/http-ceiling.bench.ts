import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '@attest/auth';
import { generateKek } from '@attest/crypto-shredding';
import { apiCpuSeconds, freePort, startApiProcess } from './lib/api-process';
import { BenchHttpClient } from './lib/http-client';
import { cpuWindow, runLoad } from './lib/load';
import { Benchmark, BenchResult, percentile } from './lib/report';
import { runWrk, wrkPath } from './lib/wrk';

/**
 * The context for every HTTP target (5,000 requests/s at p99 ≤ 25 ms on this machine): what HTTP
 * itself costs here, with the load generator of the credit-feature reads (wrk where installed,
 * bench/lib/wrk.ts). Two servers, each
 * in its own process: bare Fastify answering a JSON POST (no framework, no logging, no auth), and
 * the Attest API answering GET /health/live (Nest, its hooks, logger, metrics and rate limiter,
 * no store access). Whatever these reach is the ceiling for any route that also does work.
 */
const CONNECTIONS = 64;
const SECONDS = Number(process.env['ATTEST_BENCH_HTTP_SECONDS'] ?? 10);

const BARE_FASTIFY = `
const fastify = require(${JSON.stringify(require.resolve('fastify'))})({ logger: false });
fastify.post('/echo', async (request) => ({ ok: true, n: request.body.n }));
fastify.get('/cpu', async () => { const u = process.cpuUsage(); return { seconds: (u.user + u.system) / 1e6 }; });
fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => process.send('ready'));
`;

const POST_LUA = `
wrk.method = "POST"
wrk.body = '{"n":1}'
wrk.headers["content-type"] = "application/json"
`;

const measure = async (port: number, method: 'GET' | 'POST', path: string, serverCpu: () => Promise<number>) => {
  const cpu = cpuWindow(serverCpu);
  if (wrkPath() !== null) {
    const load = { url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, ...(method === 'POST' ? { script: POST_LUA } : {}) };
    await runWrk({ ...load, seconds: 2 });
    await cpu.start();
    const run = await runWrk({ ...load, seconds: SECONDS });
    const { serverMicros } = await cpu.perRequest(run.requests);
    if (run.non2xx > 0 || run.socketErrors > 0) throw new Error(`wrk saw ${run.non2xx} non-2xx answers and ${run.socketErrors} socket errors`);
    return { rate: run.requests / run.seconds, p50: run.p50, p99: run.p99, serverMicros, clientMicros: run.clientMicros };
  }
  const client = new BenchHttpClient(port, CONNECTIONS);
  try {
    const result = await runLoad({
      connections: CONNECTIONS,
      warmupSeconds: 2,
      seconds: SECONDS,
      send: async (n) => (await client.send(method, path, {}, method === 'POST' ? JSON.stringify({ n }) : undefined)).status,
      onMeasuringStart: cpu.start,
    });
    const { serverMicros, clientMicros } = await cpu.perRequest(result.latencies.length);
    const ok = result.statuses.get(200) ?? 0;
    if (ok !== result.latencies.length) throw new Error(`non-200 answers: ${JSON.stringify([...result.statuses])}`);
    return {
      rate: result.latencies.length / result.seconds,
      p50: percentile(result.latencies, 50),
      p99: percentile(result.latencies, 99),
      serverMicros,
      clientMicros,
    };
  } finally {
    await client.close();
  }
};

export const httpCeilingBenchmarks: Benchmark[] = [
  {
    name: 'http/ceiling',
    run: async (): Promise<BenchResult> => {
      const port = await freePort();
      const bare = spawn(process.execPath, ['-e', BARE_FASTIFY], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let fastify;
      try {
        await new Promise<void>((resolve, reject) => {
          bare.once('message', () => resolve());
          bare.once('exit', (code) => reject(new Error(`bare Fastify exited with ${code}`)));
        });
        fastify = await measure(port, 'POST', '/echo', async () => ((await (await fetch(`http://127.0.0.1:${port}/cpu`)).json()) as { seconds: number }).seconds);
      } finally {
        bare.kill('SIGTERM');
      }

      const dir = mkdtempSync(join(tmpdir(), 'attest-bench-http-'));
      const api = await startApiProcess({ ATTEST_MODE: 'test', ATTEST_DATA_DIR: dir, ATTEST_JWT_KEYS: generateKey('bench').encoded, ATTEST_KEKS: generateKek('bench') });
      let attest;
      try {
        attest = await measure(api.port, 'GET', '/health/live', () => apiCpuSeconds(api));
      } finally {
        await api.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      return {
        name: 'http/ceiling',
        description: `What HTTP alone costs on this machine, with the load generator of the credit-feature reads (${wrkPath() === null ? 'undici in the benchmark process: wrk is not installed' : 'wrk, one thread'}, ${CONNECTIONS} keep-alive connections, ${SECONDS} s after 2 s warm-up, client and server sharing the 2 cores): bare Fastify 5 answering a small JSON POST (no framework, logging or auth), then the Attest API (compiled, in its own process) answering GET /health/live through Nest, its hooks, logger, metrics and rate limiter, touching no store. Any route that does work is below these rates.`,
        measurements: [
          { metric: 'bare Fastify, JSON POST', value: fastify.rate, unit: 'requests/s' },
          { metric: 'bare Fastify p99', value: fastify.p99, unit: 'ms' },
          { metric: 'bare Fastify: server CPU time per request', value: fastify.serverMicros, unit: 'µs' },
          { metric: 'bare Fastify: load generator CPU time per request', value: fastify.clientMicros, unit: 'µs' },
          { metric: 'Attest API, GET /health/live', value: attest.rate, unit: 'requests/s' },
          { metric: 'Attest API /health/live p99', value: attest.p99, unit: 'ms' },
          { metric: 'Attest API: server CPU time per request', value: attest.serverMicros, unit: 'µs' },
          { metric: 'Attest API: load generator CPU time per request', value: attest.clientMicros, unit: 'µs' },
        ],
      };
    },
  },
];
