import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * WAL checkpoints on a worker thread.
 *
 * SQLite runs a checkpoint inside whichever COMMIT pushes the WAL past `wal_autocheckpoint`
 * pages: it copies those pages into the database file and fsyncs it, and with better-sqlite3 that
 * happens on the event loop, stalling every request for as long as it takes. A store that
 * registers here lifts its own threshold to a safety bound (`WAL_AUTOCHECKPOINT_FALLBACK_PAGES`,
 * used only if this thread stops keeping up) and this worker runs `PRAGMA wal_checkpoint(PASSIVE)`
 * on its own connection every `intervalMs`. PASSIVE never blocks the writer or readers; SQLite
 * still syncs the WAL before and the database after each checkpoint (the worker's connection runs
 * `synchronous=NORMAL`), so durability is unchanged.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const open = new Map();
let stopped = false;
const checkpoint = () => {
  for (const [path, db] of open) {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ kind: 'error', path, message: String(error) }); }
  }
};
parentPort.on('message', (message) => {
  if (message.kind === 'add' && !open.has(message.path)) {
    const db = new Database(message.path);
    db.pragma('synchronous = NORMAL');
    open.set(message.path, db);
  } else if (message.kind === 'remove') {
    const db = open.get(message.path);
    if (db) { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); open.delete(message.path); }
    parentPort.postMessage({ kind: 'removed', path: message.path });
  } else if (message.kind === 'stop') {
    stopped = true;
    for (const db of open.values()) db.close();
    open.clear();
    parentPort.close();
  }
});
const loop = () => { if (stopped) return; checkpoint(); setTimeout(loop, ${'${INTERVAL}'}); };
loop();
`;

/** Pages a registered store lets its WAL grow to before checkpointing on its own thread. */
export const WAL_AUTOCHECKPOINT_FALLBACK_PAGES = 20_000;

/**
 * What a SQLite store needs of whoever checkpoints its file: `attach` hands a connection's
 * checkpoints over (returning what to `remove` the file from when the store closes, or null),
 * `remove` takes them back.
 */
export interface WalCheckpointing {
  attach(db: Database.Database, path: string): WalCheckpointing | null;
  remove(path: string): Promise<void>;
}

/**
 * For a connection to a file that another thread's WalCheckpointer already checkpoints (the
 * projection worker's, whose files the API thread's checkpointer covers): its threshold is lifted
 * to the same fallback bound, so its commits leave the copying to that thread.
 */
export const CHECKPOINTED_ELSEWHERE: WalCheckpointing = {
  attach: (db, path) => {
    if (path !== ':memory:') db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_FALLBACK_PAGES}`);
    return null;
  },
  remove: async () => undefined,
};

export class WalCheckpointer implements WalCheckpointing {
  private static instance: WalCheckpointer | null = null;
  private readonly worker: Worker;
  private readonly paths = new Set<string>();
  private readonly removals = new Map<string, Array<() => void>>();
  /** Checkpoint errors reported by the worker (the last few, for health and tests). */
  readonly errors: Array<{ path: string; message: string }> = [];

  constructor(intervalMs = 100) {
    this.worker = new Worker(WORKER_SOURCE.replace('${INTERVAL}', String(intervalMs)), { eval: true });
    this.worker.unref();
    this.worker.on('message', (message: { kind: string; path: string; message?: string }) => {
      if (message.kind === 'error') {
        this.errors.push({ path: message.path, message: message.message ?? '' });
        if (this.errors.length > 20) this.errors.shift();
      }
      if (message.kind === 'removed') {
        for (const resolve of this.removals.get(message.path) ?? []) resolve();
        this.removals.delete(message.path);
      }
    });
  }

  /** One worker per process, created on first use; it never keeps the process alive. */
  static shared(): WalCheckpointer {
    WalCheckpointer.instance ??= new WalCheckpointer();
    return WalCheckpointer.instance;
  }

  /**
   * Hands a store's checkpoints to this worker: lifts the store connection's own threshold to
   * the fallback bound and starts checkpointing `path`. Returns this checkpointer, or null for an
   * in-memory database (no WAL file to checkpoint).
   */
  attach(db: Database.Database, path: string): WalCheckpointer | null {
    if (path === ':memory:') return null;
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_FALLBACK_PAGES}`);
    this.add(path);
    return this;
  }

  /** Starts checkpointing the database at `path` (a file in WAL mode). */
  add(path: string): void {
    if (this.paths.has(path)) return;
    this.paths.add(path);
    this.worker.postMessage({ kind: 'add', path });
  }

  /** Stops checkpointing `path`; resolves once the worker's connection to it is closed. */
  remove(path: string): Promise<void> {
    if (!this.paths.delete(path)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiting = this.removals.get(path) ?? [];
      waiting.push(resolve);
      this.removals.set(path, waiting);
      this.worker.ref();
      this.worker.postMessage({ kind: 'remove', path });
    }).then(() => {
      if (this.removals.size === 0) this.worker.unref();
    });
  }
}
