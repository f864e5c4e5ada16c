// One Prisma client per database URL per process, created on first use (never at import: `next build`
// imports route modules without a DATABASE_URL). Kept on globalThis so dev hot-reload does not leak pools.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { DbError } from "./errors.ts";
import { PrismaClient } from "./generated/client.ts";

export type Db = PrismaClient;

export interface DbOptions {
  /** pg pool size; the worker raises it for batched frame writes. */
  maxConnections?: number;
}

/** The pg pool under each client made here: Prisma and the hot statements share its connections. */
const pools = new WeakMap<Db, pg.Pool>();

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  if (!databaseUrl) throw new DbError("DATABASE_URL_MISSING", "DATABASE_URL is not set");
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // An idle connection the server drops emits "error" on the pool; unheard, that would end the process.
  // The adapter listens once Prisma connects; this covers the time before, and statements sent directly.
  pool.on("error", () => {});
  // disposeExternalPool: $disconnect ends this pool, as it ended the one Prisma made itself.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/**
 * The pg pool under a client from createDb, for the few statements run hundreds of times a second
 * (frames.ts). Through Prisma, insertFrames cost 2.1 ms of CPU per 10-row statement against 0.6 ms on
 * the pool, 3.5x (bench/insert-frames.ts). Undefined for a transaction client.
 */
export function poolOf(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

const globalForDb = globalThis as unknown as { __captureDbs?: Map<string, Db> };

export function getDb(databaseUrl: string, options: DbOptions = {}): Db {
  globalForDb.__captureDbs ??= new Map();
  let db = globalForDb.__captureDbs.get(databaseUrl);
  if (!db) {
    db = createDb(databaseUrl, options);
    globalForDb.__captureDbs.set(databaseUrl, db);
  }
  return db;
}
