import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../tooling/vitest/shared.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  resolve: { alias: { "~": path.join(here, "src") } },
  test: { ...sharedTestConfig("web"), testTimeout: 20_000, hookTimeout: 60_000 },
});
