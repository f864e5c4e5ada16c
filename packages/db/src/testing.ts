// Real Postgres for tests, one fresh database per suite. The migrated schema is built once into a template
// database named after a hash of the migrations, then every suite gets `CREATE DATABASE ... TEMPLATE`
// (tens of milliseconds instead of a migrate run). Without a reachable Postgres this fails loudly:
// integration tests never silently skip.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { createDb, type Db } from "./client.ts";
import { DB_PACKAGE_DIR, migrateDeploy } from "./migrate.ts";

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  drop(): Promise<void>;
}

export function adminDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set: integration tests need Postgres (run `bash scripts/services.sh up`)",
    );
  }
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function migrationsHash(): string {
  const dir = path.join(DB_PACKAGE_DIR, "prisma", "migrations");
  const hash = createHash("sha256");
  for (const entry of readdirSync(dir, { recursive: true }).map(String).sort()) {
    if (entry.endsWith(".sql")) hash.update(entry).update(readFileSync(path.join(dir, entry)));
  }
  return hash.digest("hex").slice(0, 12);
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const res = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return res.rowCount === 1;
}

/** Builds the template once per migrations hash; concurrent callers wait on an advisory lock. */
export async function ensureTemplate(): Promise<string> {
  const template = `capture_tpl_${migrationsHash()}`;
  await withAdmin(async (client) => {
    await client.query("SELECT pg_advisory_lock(4242001)");
    try {
      if (await databaseExists(client, template)) return;
      const building = `${template}_build_${randomBytes(4).toString("hex")}`;
      await client.query(`CREATE DATABASE "${building}"`);
      await migrateDeploy(withDatabase(adminDatabaseUrl(), building));
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } finally {
      await client.query("SELECT pg_advisory_unlock(4242001)");
    }
  });
  return template;
}

export async function createTestDatabase(label = "t"): Promise<TestDatabase> {
  const template = await ensureTemplate();
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 20);
  const name = `capture_test_${safeLabel}_${randomBytes(4).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = withDatabase(adminDatabaseUrl(), name);
  const db = createDb(url, { maxConnections: 5 });
  return {
    url,
    name,
    db,
    async drop() {
      await db.$disconnect();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** An empty database (no migrations), for tests of the migrate path itself. */
export async function createEmptyDatabase(label = "empty"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `capture_test_${label}_${randomBytes(4).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    url: withDatabase(adminDatabaseUrl(), name),
    drop: () =>
      withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}
