import path from "node:path";
import { defineConfig } from "@playwright/test";

// Debian's Chromium (never `playwright install`), loopback only, one worker: the specs share one portal,
// one worker process and one zoom-sim, all started by e2e/global-setup.ts.
const resultsDir = process.env.TEST_RESULTS_DIR;

export default defineConfig({
  testDir: "./e2e",
  globalSetup: "./e2e/global-setup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  outputDir: resultsDir ? path.join(resultsDir, "playwright-artifacts") : "./test-results",
  reporter: resultsDir
    ? [["list"], ["json", { outputFile: path.join(resultsDir, "playwright.json") }]]
    : [["list"]],
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      ],
    },
  },
});
