import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../tooling/vitest/shared.ts";

export default defineConfig({
  test: { ...sharedTestConfig("rtms-core"), testTimeout: 30_000, hookTimeout: 60_000 },
});
