import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { clockTicksPerSecond, procStatFields } from './load';

export interface ApiProcess {
  port: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

let built = false;

/** Compiles the apps once per benchmark run (`npm run build`), as `npm start` does. */
const buildOnce = (root: string) => {
  if (built || process.env['ATTEST_BENCH_SKIP_BUILD'] === '1') return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
};
export interface HeapUsage {
  /** Heap used right after a full collection, when sampling started (bytes). */
  before: number;
  /** Largest heap used seen while sampling (bytes). */
  peak: number;
  /** Largest resident set size seen while sampling (bytes). */
  rssPeak: number;
  /** CPU time (user + system) the process used while sampling, in milliseconds. */
  cpuMs: number;
}

export interface ApiProcessOptions {
  /** Preloads bench/lib/heap-sampler into the process (with --expose-gc and an IPC channel): see `startHeapSampling`. */
  sampleHeap?: boolean;
  /** How long /health/live may take to answer (default 120 s; projecting a large log on start-up takes longer). */
  startTimeoutMs?: number;
}

/**
 * A TCP port nothing listens on, chosen by the OS (listen on port 0, read the port, close). A
 * random port in a fixed range once collided with RabbitMQ's epmd on 4369 (EADDRINUSE); the
 * port is only free until someone else takes it, which the OS makes unlikely by not reusing it at once.
 */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the OS'))));
    });
  });

/**
 * Starts the API as a separate process, as it runs in production: the compiled JavaScript
 * (`npm run build`, then `node dist/apps/api/src/main.js`, what `npm start` runs), never through
 * ts-node (whose REPL module loads `domain`, which slows every callback). The load generator and
 * the server never share an event loop. Resolves once /health/live answers.
 */
export const startApiProcess = async (env: Record<string, string>, options: ApiProcessOptions = {}): Promise<ApiProcess> => {
  const port = await freePort();
  const root = join(__dirname, '..', '..');
  buildOnce(root);
  const profile = process.env['ATTEST_BENCH_CPU_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['ATTEST_BENCH_CPU_PROFILE']}`] : [];
  const sampler = options.sampleHeap ? ['--expose-gc', '-r', join(__dirname, 'heap-sampler.js')] : [];
  // Extra V8/Node flags for the API process, space-separated: e.g. `--log-ic --logfile=/tmp/v8-%p.log`
  // to see which inline caches miss (ADR 0022).
  const extra = process.env['ATTEST_BENCH_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [];
  const child = spawn(process.execPath, [...extra, ...profile, ...sampler, join(root, 'dist/apps/api/src/main.js')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    // ATTEST_BENCH_API_STDOUT=inherit shows the API's standard output (with ATTEST_BENCH_NODE_ARGS=--trace-gc, say).
    stdio: [
      'ignore',
      process.env['ATTEST_BENCH_API_STDOUT'] === 'inherit' ? 'inherit' : 'ignore',
      'inherit',
      ...(options.sampleHeap ? (['ipc'] as const) : []),
    ],
  });
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`the API process exited unexpectedly (code ${code}, signal ${signal})`);
  });
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stopping = true;
      child.kill('SIGTERM');
      throw new Error(`the API did not start within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        stopping = true;
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

/**
 * Resolves once every projection of the API has applied everything stored (positions compared
 * with the head from the same readiness report), polling the public /health/ready.
 */
export const waitCaughtUp = async (api: ApiProcess, timeoutMs = 1_200_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (api.child.exitCode !== null || api.child.signalCode !== null) throw new Error('the API exited while catching up');
    try {
      const response = await fetch(`http://127.0.0.1:${api.port}/health/ready`);
      const body = (await response.json()) as { info?: { eventStore?: { headPosition?: string }; projections?: { projections?: Array<{ position: string }> } } };
      const head = body.info?.eventStore?.headPosition;
      const projections = body.info?.projections?.projections ?? [];
      if (response.ok && head !== undefined && projections.length > 0 && projections.every((p) => p.position === head)) return;
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the API did not catch up in time');
};

/**
 * CPU seconds (user + system) the API's main thread (its event loop) has used so far, from
 * /proc (Linux). A Node API saturates when this one thread does, whatever the process total
 * says, so this is the budget a request path must fit (ADR 0020). Clock-tick resolution (10 ms
 * at 100 Hz), which is 0.1% over a 10 s window. Null where /proc is not available.
 */
export const apiMainThreadCpuSeconds = (api: ApiProcess): number | null => {
  const pid = api.child.pid;
  if (pid === undefined || process.platform !== 'linux') return null;
  // utime and stime are fields 14 and 15.
  const fields = procStatFields(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
};

const metricsText = async (api: ApiProcess): Promise<string> => (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();

/** CPU seconds (user + system) the API process has used so far, from its Prometheus endpoint. */
export const apiCpuSeconds = async (api: ApiProcess): Promise<number> => {
  const text = await metricsText(api);
  const match = /^attest_process_cpu_seconds_total\s+([0-9.eE+-]+)$/m.exec(text);
  if (!match?.[1]) throw new Error('the API did not report attest_process_cpu_seconds_total');
  return Number(match[1]);
};

/**
 * A labelled counter of the API's own metrics: its series whose labels match `labels`, summed
 * by the value of the regular expression's first group.
 */
export const apiCounter = async (api: ApiProcess, name: string, labels: RegExp): Promise<Map<string, number>> => {
  const values = new Map<string, number>();
  for (const match of (await metricsText(api)).matchAll(new RegExp(`^${name}\\{([^}]*)\\} ([0-9.eE+-]+)$`, 'gm'))) {
    const key = labels.exec(match[1] ?? '')?.[1];
    if (key !== undefined) values.set(key, (values.get(key) ?? 0) + Number(match[2]));
  }
  return values;
};

const heapMessage = (api: ApiProcess, type: string): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type) {
        api.child.off('message', onMessage);
        resolve(message as Record<string, unknown>);
      }
    };
    api.child.on('message', onMessage);
    api.child.once('exit', () => reject(new Error('the API exited while its heap was sampled')));
  });

/** Starts sampling the API process's memory and CPU time (it must have been started with `sampleHeap`). */
export const startHeapSampling = async (api: ApiProcess): Promise<void> => {
  const started = heapMessage(api, 'heap:started');
  api.child.send('heap:start');
  await started;
};

/** Stops sampling and returns the baseline and the peaks since `startHeapSampling`. */
export const stopHeapSampling = async (api: ApiProcess): Promise<HeapUsage> => {
  const answer = heapMessage(api, 'heap');
  api.child.send('heap:stop');
  const { before, peak, rssPeak, cpuMs } = (await answer) as unknown as HeapUsage;
  return { before, peak, rssPeak, cpuMs };
};
