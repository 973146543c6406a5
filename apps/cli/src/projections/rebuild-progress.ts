import { SingleBar, Presets } from 'cli-progress';

/** How often the rebuild polls the runner's position (the bar redraws at most this often). */
const POLL_INTERVAL_MS = 100;

export interface RebuildResult {
  name: string;
  events: bigint;
  durationMs: number;
  eventsPerSecond: number;
}

/**
 * Waits until `position()` reaches `target`, drawing a progress bar with events/s on stderr
 * (stdout stays for the result). cli-progress draws nothing when stderr is not a terminal, so
 * logs and CI output get only the summary line.
 */
export const trackRebuild = async (
  name: string,
  target: bigint,
  position: () => bigint,
  failed: () => string | null,
  showBar: boolean,
): Promise<RebuildResult> => {
  const started = Date.now();
  const total = Number(target);
  const bar = showBar ? new SingleBar({ format: `${name.padEnd(20)} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s`, hideCursor: true }, Presets.shades_classic) : null;
  bar?.start(total, 0, { rate: '0' });
  try {
    for (;;) {
      const error = failed();
      if (error !== null) throw new Error(`projection ${name} failed during rebuild: ${error}`);
      const reached = position();
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar?.update(Number(reached), { rate: Math.round(Number(reached) / seconds).toString() });
      if (reached >= target) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  } finally {
    bar?.stop();
  }
  const durationMs = Date.now() - started;
  return { name, events: target, durationMs, eventsPerSecond: Math.round(Number(target) / Math.max(durationMs / 1000, 0.001)) };
};
