#!/usr/bin/env node
// Node 20 cannot run TypeScript: run src/cli.ts under tsx's loader, passing arguments, signals and the exit code through.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// Resolve tsx from this package (not from the caller's working directory), so the launcher runs from anywhere.
const tsx = import.meta.resolve("tsx");
const child = spawn(
  process.execPath,
  ["--import", tsx, join(here, "..", "src", "cli.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
    cwd: process.cwd(),
    env: process.env,
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
