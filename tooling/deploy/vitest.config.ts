import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest/shared.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  // The portal's env.ts is imported as source, and its own imports use the portal's "~" alias.
  resolve: { alias: { "~": path.join(here, "../../apps/web/src") } },
  test: { ...sharedTestConfig("deploy"), testTimeout: 30_000 },
});
