// /metrics answers even when refreshing the on-demand gauges (queue depths from Redis) does not.
import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, startHealthServer } from "../src/health.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("health server", () => {
  it("serves /metrics with the last values when the refresh never answers, and runs one refresh at a time", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.activeSessions.set(7);
    let refreshes = 0;
    server = await startHealthServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      checks: {},
      log: createLogger("silent"),
      refreshTimeoutMs: 50,
      beforeScrape: () => {
        refreshes++;
        return new Promise<void>(() => {}); // Redis went away mid-command
      },
    });
    const url = `http://127.0.0.1:${server.port}/metrics`;
    const answers = await Promise.all([fetch(url), fetch(url), fetch(url)]);
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("capture_active_sessions 7");
    }
    expect(refreshes).toBe(1);
  });
});
