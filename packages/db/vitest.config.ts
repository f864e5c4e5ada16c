import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../tooling/vitest/shared.ts";

export default defineConfig({
  test: { ...sharedTestConfig("db"), testTimeout: 60_000, hookTimeout: 120_000 },
});
