import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  WAL_AUTOCHECKPOINT_FALLBACK_PAGES,
  WalCheckpointer,
} from "./wal-checkpointer";

/**
 * A registered database is checkpointed by the worker thread: its pages reach the database file
 * although the writing connection's own threshold (WAL_AUTOCHECKPOINT_FALLBACK_PAGES) is never
 * reached, so no commit on the event loop ever runs a checkpoint.
 */
describe("WalCheckpointer", () => {
  const dir = mkdtempSync(join(tmpdir(), "attest-checkpointer-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fill = (db: Database.Database) => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
    );
    const insert = db.prepare("INSERT INTO blobs (body) VALUES (?)");
    // ~3,000 pages of 4 KiB: well past SQLite's default threshold (1,000), far below the fallback.
    for (let t = 0; t < 30; t++)
      db.transaction(() => {
        for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(4000, i));
      })();
  };
  const settle = async (check: () => boolean) => {
    const deadline = Date.now() + 3_000;
    while (!check() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    return check();
  };

  it("copies committed pages into the database file from its own thread", async () => {
    const path = join(dir, "with-worker.sqlite");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    const checkpointer = new WalCheckpointer(20);
    expect(checkpointer.attach(db, path)).toBe(checkpointer);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_AUTOCHECKPOINT_FALLBACK_PAGES);
    fill(db);
    expect(await settle(() => statSync(path).size > 10_000_000)).toBe(true);
    expect(checkpointer.errors).toEqual([]);
    await checkpointer.remove(path);
    db.close();
  });

  it("without it, the same writes stay in the WAL (the file does not grow)", async () => {
    const path = join(dir, "without-worker.sqlite");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_FALLBACK_PAGES}`);
    fill(db);
    await new Promise((r) => setTimeout(r, 300));
    expect(statSync(path).size).toBeLessThan(1_000_000);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(10_000_000);
    db.close();
  });
});
