import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

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

/**
 * Starts the API as a separate process, as it runs in production: the compiled JavaScript
 * (`npm run build`, then `node dist/apps/api/src/main.js`, what `npm start` runs), never through
 * ts-node (whose REPL module loads `domain`, which slows every callback). The load generator and
 * the server never share an event loop. Resolves once /health/live answers.
 */
export const startApiProcess = async (env: Record<string, string>): Promise<ApiProcess> => {
  const port = 3900 + Math.floor(Math.random() * 900);
  const root = join(__dirname, '..', '..');
  buildOnce(root);
  const profile = process.env['ATTEST_BENCH_CPU_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['ATTEST_BENCH_CPU_PROFILE']}`] : [];
  const child = spawn(process.execPath, [...profile, join(root, 'dist/apps/api/src/main.js')], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`the API process exited unexpectedly (code ${code}, signal ${signal})`);
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the API did not start within 120 s');
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

/** CPU seconds (user + system) the API process has used so far, from its Prometheus endpoint. */
export const apiCpuSeconds = async (api: ApiProcess): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
  const match = /^attest_process_cpu_seconds_total\s+([0-9.eE+-]+)$/m.exec(text);
  if (!match?.[1]) throw new Error('the API did not report attest_process_cpu_seconds_total');
  return Number(match[1]);
};
