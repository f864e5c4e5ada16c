// One Prisma client per database URL per process, created on first use (never at import: `next build`
// imports route modules without a DATABASE_URL). Kept on globalThis so dev hot-reload does not leak pools.
import { PrismaPg } from "@prisma/adapter-pg";
import { DbError } from "./errors.ts";
import { PrismaClient } from "./generated/client.ts";

export type Db = PrismaClient;

export interface DbOptions {
  /** pg pool size; the worker raises it for batched frame writes. */
  maxConnections?: number;
}

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  if (!databaseUrl) throw new DbError("DATABASE_URL_MISSING", "DATABASE_URL is not set");
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
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
