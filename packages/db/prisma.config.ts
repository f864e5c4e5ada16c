// Prisma CLI configuration for the OFFLINE path (see ../shared/docs/stack.md, "Prisma offline"):
// migrate runs on the WebAssembly schema engine shipped in npm, through the pg driver adapter,
// so nothing is downloaded from Prisma's CDN.
// `prisma generate` needs no database, but without an adapter configured Prisma 6 tries to download a
// native engine; package.json therefore passes a placeholder DATABASE_URL to generate.
import "./scripts/unref-timers.ts";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { createMigrateAdapter } from "./scripts/migrate-adapter.ts";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => createMigrateAdapter(process.env.DATABASE_URL),
});
