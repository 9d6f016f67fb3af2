/**
 * The CLI's data directory: where the SQLite store keeps the host's state between runs. By default
 * `.devhost/` under the app (add it to .gitignore); `--data DIR` picks another, `--reset` wipes it first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DATABASE_FILE, SqliteStore, type SqliteStoreOptions } from "./durable/sqliteStore";

export const DEFAULT_DATA_DIR = ".devhost";

export function defaultDataDir(appDir: string): string {
  return path.join(appDir, DEFAULT_DATA_DIR);
}

/**
 * Deletes the store's files in `dataDir` (the database, its WAL and shared-memory files), leaving anything else
 * there alone. Refuses while another host holds the directory (opening the store first finds out).
 */
export function resetDataDir(dataDir: string): void {
  if (!fs.existsSync(path.join(dataDir, DATABASE_FILE))) return;
  new SqliteStore(dataDir).close();
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    fs.rmSync(path.join(dataDir, DATABASE_FILE + suffix), { force: true });
  }
}

/** Opens the SQLite store in `dataDir` (created if missing), wiping it first with `reset`. */
export function openDataDir(
  dataDir: string,
  options: SqliteStoreOptions & { reset?: boolean } = {},
): SqliteStore {
  if (options.reset) resetDataDir(dataDir);
  return new SqliteStore(dataDir, options);
}
