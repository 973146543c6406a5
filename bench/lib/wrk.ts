import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockTicksPerSecond, procStatFields } from './load';

/**
 * wrk (Debian's package `wrk`, 4.x) as the load generator of the HTTP benchmarks, where it is
 * installed. The server and the load generator share the machine's two cores, so every
 * microsecond the generator spends per request is taken from the server: undici cost 50–80 µs
 * of CPU per request on the EPYC hosts, wrk ~20–25 µs (docs/adr/0023-http-load-generator.md).
 *
 * Same shape of load as `runLoad` with undici: a closed loop of `connections` keep-alive
 * connections, one request in flight on each, no pipelining, on one wrk thread. Latency is
 * measured by wrk from writing a request to reading its whole answer (HdrHistogram, µs).
 */
export interface WrkResult {
  seconds: number;
  requests: number;
  /** Latency percentiles, in milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  /** Answers with a status outside 2xx/3xx (wrk counts them; which statuses, the server says). */
  non2xx: number;
  /** Connect, read, write and timeout errors: a benchmark with any of them is not a measurement. */
  socketErrors: number;
  /** wrk's own CPU time (user + system) per request, µs. */
  clientMicros: number;
}

let found: string | null | undefined;

/** The path of the wrk binary, or null when it is not installed (`apt-get install wrk`). */
export const wrkPath = (): string | null => {
  if (found === undefined) {
    const which = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
    found = which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : null;
  }
  return process.env['ATTEST_BENCH_LOAD'] === 'undici' ? null : found;
};

/** Appended to every script: prints the summary as one JSON line wrk's own report does not have. */
const REPORT_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('ATTEST_WRK {"requests":%d,"durationMicros":%d,"p50":%d,"p99":%d,"p999":%d,"non2xx":%d,"socketErrors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.status, e.connect + e.read + e.write + e.timeout))
end
`;

/**
 * Runs wrk once: `script` is Lua defining `request` (and anything it needs) or nothing for a
 * plain GET of `url`; `env` reaches the script through os.getenv. wrk runs under `sh`, which
 * reads its own /proc entry after wrk has exited: the children's CPU time is wrk's.
 */
export const runWrk = async (options: { url: string; connections: number; seconds: number; script?: string; env?: Record<string, string> }): Promise<WrkResult> => {
  const wrk = wrkPath();
  if (wrk === null) throw new Error('wrk is not installed (apt-get install wrk)');
  const dir = mkdtempSync(join(tmpdir(), 'attest-wrk-'));
  const scriptPath = join(dir, 'load.lua');
  writeFileSync(scriptPath, `${options.script ?? ''}\n${REPORT_LUA}`);
  try {
    const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', scriptPath, options.url];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('sh', ['-c', '"$0" "$@"; status=$?; read -r stat < /proc/$$/stat; echo "ATTEST_CPU $stat"; exit $status', wrk, ...args], {
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const json = /^ATTEST_WRK (.*)$/m.exec(output)?.[1];
    const stat = /^ATTEST_CPU (.*)$/m.exec(output)?.[1];
    if (!json || !stat) throw new Error(`unexpected wrk output: ${output}`);
    const r = JSON.parse(json) as { requests: number; durationMicros: number; p50: number; p99: number; p999: number; non2xx: number; socketErrors: number };
    // The shell's cutime and cstime (fields 16 and 17): the CPU time of its waited-for child, wrk.
    const fields = procStatFields(stat);
    const clientSeconds = (Number(fields[13]) + Number(fields[14])) / clockTicksPerSecond();
    const ms = (micros: number) => micros / 1000;
    return {
      seconds: r.durationMicros / 1e6,
      requests: r.requests,
      p50: ms(r.p50),
      p99: ms(r.p99),
      p999: ms(r.p999),
      non2xx: r.non2xx,
      socketErrors: r.socketErrors,
      clientMicros: r.requests === 0 ? 0 : (clientSeconds * 1e6) / r.requests,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
