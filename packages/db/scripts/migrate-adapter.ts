// The driver adapter the Prisma CLI migrates through (prisma.config.ts). It works around three defects of
// @prisma/adapter-pg 6.19.3 on the wasm migrate path, each described in ../shared/docs/stack.md:
//  1. introspection reads pg_catalog columns (name, "char", regproc, ...) whose OIDs the adapter cannot map:
//     they are reported as text;
//  2. executeScript splits on every ';' and breaks $$ bodies: the whole script goes as one simple query;
//  3. the shadow pool is built as {...config, database} and a connectionString would override `database`:
//     the URL is turned into discrete fields.
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";

const TEXT_OID = 25;
const CATALOG_OIDS_AS_TEXT = new Set([18, 19, 22, 24, 28, 30, 194, 2205, 2206, 4089]);

export function poolConfigFromUrl(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")),
    // The CLI should exit as soon as it is done: do not keep idle connections around.
    idleTimeoutMillis: 1,
  };
}

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };
type AdapterInternals = {
  client: pg.Pool;
  executeScript(script: string): Promise<void>;
};

function patchAdapter<T extends object>(adapter: T): T {
  const internals = adapter as unknown as AdapterInternals;
  const pool = internals.client;
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<QueryResultLike>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<QueryResultLike> }).query = async (
    ...args: unknown[]
  ) => {
    const result = await query(...args);
    for (const field of result?.fields ?? []) {
      if (CATALOG_OIDS_AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
    return result;
  };
  internals.executeScript = async (script: string) => {
    await query(script);
  };
  return adapter;
}

export function createMigrateAdapter(databaseUrl: string | undefined) {
  if (!databaseUrl) {
    throw new Error("DATABASE_URL is not set: run `bash scripts/services.sh up` and export what it prints");
  }
  const factory = new PrismaPg(poolConfigFromUrl(databaseUrl));
  const connect = factory.connect.bind(factory);
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connect = async () => patchAdapter(await connect());
  factory.connectToShadowDb = async () => patchAdapter(await connectToShadowDb());
  return factory;
}
