// Runs the committed migrations against a database with the Prisma CLI on the offline (wasm) path.
// Used by the test-database helper; the demo, CI and the compose `migrate` service call the same CLI.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const DB_PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function prismaCli(args: string[], databaseUrl: string): Promise<string> {
  const bin = path.join(DB_PACKAGE_DIR, "node_modules", ".bin", "prisma");
  const { stdout, stderr } = await run(bin, args, {
    cwd: DB_PACKAGE_DIR,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    maxBuffer: 10 * 1024 * 1024,
  });
  return `${stdout}${stderr}`;
}

export function migrateDeploy(databaseUrl: string): Promise<string> {
  return prismaCli(["migrate", "deploy"], databaseUrl);
}
