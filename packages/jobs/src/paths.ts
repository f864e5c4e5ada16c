// Paths the portal and the worker must agree on (the worker writes frames where the portal reads them).
// A relative path is resolved against the repository root, not the working directory: `pnpm --filter`
// runs the portal in apps/web and the worker in apps/worker, and both must mean the same <repo>/recordings.
import { existsSync } from "node:fs";
import path from "node:path";

/**
 * The nearest folder above `start` holding pnpm-workspace.yaml. Outside a checkout (a container with
 * only the app) it is `start` itself.
 */
export function repositoryRoot(start = process.cwd()): string {
  let dir = path.resolve(/*turbopackIgnore: true*/ start);
  for (;;) {
    if (existsSync(path.join(/*turbopackIgnore: true*/ dir, "pnpm-workspace.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(/*turbopackIgnore: true*/ start);
    dir = parent;
  }
}

export function resolveFromRepoRoot(p: string, start?: string): string {
  return path.isAbsolute(p) ? p : path.join(/*turbopackIgnore: true*/ repositoryRoot(start), p);
}
