import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

/**
 * Kill -9 in the middle of a stream of group-committed, multi-stream appends; reopen; every
 * acknowledged append must be there exactly once, and no append may be visible in part.
 */
describe('crash safety of the embedded store (SIGKILL mid-append)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([1, 2, 3])('run %i: acknowledged appends survive, none is half-written', async (run) => {
    const path = join(dir, `crash-${run}.sqlite`);
    const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', join(__dirname, 'crash', 'append-forever.ts'), path], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json') },
    });
    const acknowledged = new Set<number>();
    const killAfter = 300 + Math.floor(Math.random() * 700);
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', () => resolve());
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^ack (\d+)$/.exec(line);
        if (match) acknowledged.add(Number(match[1]));
        if (acknowledged.size >= killAfter && !child.killed) child.kill('SIGKILL');
      });
    });
    expect(child.signalCode).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(killAfter);

    const db = new Database(path);
    const rows = db.prepare('SELECT event_id, stream_id, stream_revision, data FROM events ORDER BY position').all() as Array<{
      event_id: string;
      stream_id: string;
      stream_revision: number;
      data: string;
    }>;
    db.close();
    const byAppend = new Map<number, number>();
    for (const row of rows) {
      const n = Number((JSON.parse(row.data) as { by: string }).by);
      byAppend.set(n, (byAppend.get(n) ?? 0) + 1);
    }
    // Every acknowledged append is there, with all three of its events.
    for (const n of acknowledged) expect(byAppend.get(n)).toBe(3);
    // Nothing half-written: every append present is present whole.
    for (const [, count] of byAppend) expect(count).toBe(3);
    // No duplicate event, and each stream's revisions run 0..n-1 without a hole.
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);
    const revisions = new Map<string, number[]>();
    for (const row of rows) revisions.set(row.stream_id, [...(revisions.get(row.stream_id) ?? []), Number(row.stream_revision)]);
    for (const [, list] of revisions) expect(list).toEqual(list.map((_, i) => i));
  }, 60_000);
});
