import { execFileSync } from 'node:child_process';

/**
 * A closed-loop load generator: `connections` workers each send one request after another;
 * only requests finished inside the measuring window count (after a warm-up).
 */
export interface LoadResult {
  seconds: number;
  /** Milliseconds, sorted ascending. */
  latencies: number[];
  statuses: Map<number, number>;
}

export const runLoad = async (options: {
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Sends request number `n` and resolves with its HTTP status. */
  send: (n: number) => Promise<number>;
  /** Called as the measuring window opens (after the warm-up), e.g. to read CPU counters. */
  onMeasuringStart?: () => Promise<void>;
  /** Called as the measuring window closes, before the requests still in flight finish. */
  onMeasuringEnd?: () => Promise<void>;
}): Promise<LoadResult> => {
  let stop = false;
  let measuring = false;
  let n = 0;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      const status = await options.send(n++);
      if (measuring) {
        latencies.push(performance.now() - t0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
  };
  const workers = Array.from({ length: options.connections }, worker);
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  await options.onMeasuringStart?.();
  measuring = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await options.onMeasuringEnd?.();
  await Promise.all(workers);
  latencies.sort((a, b) => a - b);
  return { seconds, latencies, statuses };
};

/**
 * CPU time spent by the server and by this process (the load generator) over a measuring window:
 * `start()` as the window opens, `perRequest(requests)` once it has closed. `serverCpuSeconds`
 * reads the server's cumulative CPU seconds (all its threads); `serverMainThreadCpuSeconds`, if
 * given, those of its main thread alone.
 */
export const cpuWindow = (serverCpuSeconds: () => Promise<number>, serverMainThreadCpuSeconds?: () => number | null) => {
  let serverBefore = 0;
  let mainBefore: number | null = null;
  let clientBefore = process.cpuUsage();
  return {
    start: async (): Promise<void> => {
      serverBefore = await serverCpuSeconds();
      mainBefore = serverMainThreadCpuSeconds?.() ?? null;
      clientBefore = process.cpuUsage();
    },
    /**
     * Microseconds of CPU per request: the server (all threads), its main thread when a reader
     * was given (null otherwise), and the load generator.
     */
    perRequest: async (requests: number): Promise<{ serverMicros: number; mainThreadMicros: number | null; clientMicros: number }> => {
      const client = process.cpuUsage(clientBefore);
      const mainAfter = serverMainThreadCpuSeconds?.() ?? null;
      const server = (await serverCpuSeconds()) - serverBefore;
      const mainThreadMicros = mainBefore === null || mainAfter === null ? null : ((mainAfter - mainBefore) * 1e6) / requests;
      return { serverMicros: (server * 1e6) / requests, mainThreadMicros, clientMicros: (client.user + client.system) / requests };
    },
  };
};

let ticks: number | null = null;

/** Clock ticks per second of the CPU times in /proc (`getconf CLK_TCK`), read once. */
export const clockTicksPerSecond = (): number => (ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()));

/**
 * The fields of a /proc/<pid>/stat line after the command name (which may contain spaces and
 * parentheses): field 3 (state) is index 0, utime (14) index 11, cutime (16) index 13.
 */
export const procStatFields = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
