import { ProjectionStatus } from '@attest/projection-runner';

export interface ProjectionLag {
  name: string;
  version: number;
  state: ProjectionStatus['state'];
  position: bigint;
  headPosition: bigint;
  /** Events in the log this projection has not applied yet. */
  lagEvents: bigint;
  /** Beyond `--max-lag`, or not running at all. */
  healthy: boolean;
}

/** Lag of each projection behind the log head; pure so the rule is tested without a store. */
export const projectionLags = (statuses: readonly ProjectionStatus[], headPosition: bigint, lagEventsMax: bigint): ProjectionLag[] =>
  statuses.map((status) => {
    const lagEvents = headPosition > status.position ? headPosition - status.position : 0n;
    return {
      name: status.name,
      version: status.version,
      state: status.state,
      position: status.position,
      headPosition,
      lagEvents,
      healthy: status.state === 'running' && lagEvents <= lagEventsMax,
    };
  });

export const formatLagTable = (lags: readonly ProjectionLag[]): string => {
  const rows = lags.map((l) => [l.name, `v${l.version}`, l.state, l.position.toString(), l.lagEvents.toString(), l.healthy ? 'ok' : 'BEHIND']);
  return formatTable(['projection', 'version', 'state', 'position', 'lag (events)', ''], rows);
};

/** A plain, aligned text table: small enough not to need a dependency. */
export const formatTable = (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
};
