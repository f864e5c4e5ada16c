// The worker's only HTTP surface: /health (the process answers), /health/ready (its dependencies answer),
// /metrics (Prometheus). Bound to 127.0.0.1 by default; the container sets HEALTH_HOST=0.0.0.0.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";

/** A readiness check resolves when the dependency answers and throws (with a reason) when it does not. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthServerOptions {
  host: string;
  port: number;
  metrics: Metrics;
  checks: Record<string, ReadinessCheck>;
  /** Refreshes gauges that are read on demand (queue depths) before a scrape. */
  beforeScrape?: () => Promise<void>;
  log: Logger;
  checkTimeoutMs?: number;
  /** How long a scrape waits for beforeScrape before serving the last values (default 1000 ms). */
  refreshTimeoutMs?: number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.checkTimeoutMs ?? 3000;
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 1000;
  // One refresh at a time: scrapes that arrive meanwhile share it instead of queueing more Redis calls.
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= (async () => {
      try {
        await options.beforeScrape?.();
      } catch (err) {
        options.log.warn({ err }, "metrics refresh failed; serving the last values");
      }
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (req.method !== "GET") return send(405, { error: "method not allowed" });
    if (path === "/health") return send(200, { status: "ok" });
    if (path === "/health/ready") {
      void runChecks(options.checks, timeoutMs).then((results) => {
        const ok = Object.values(results).every((r) => r === "ok");
        send(ok ? 200 : 503, { status: ok ? "ready" : "not ready", checks: results });
      });
      return;
    }
    if (path === "/metrics") {
      void (async () => {
        // A slow dependency (Redis behind a burst of BullMQ calls) must not hold the scrape: after
        // refreshTimeoutMs the queue gauges are served as they were, the rest is always current.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          refresh(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, refreshTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        send(200, await options.metrics.registry.metrics(), options.metrics.registry.contentType);
      })();
      return;
    }
    send(404, { error: "not found" });
  });
  // Longer than a scrape interval (Prometheus: 15 s to 1 min), so a scraper's kept-alive connection is
  // not closed by us just as it sends its next request (seen as ECONNRESET by the scraper).
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host, port }, "health server listening");
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, "ok"] as const;
      } catch (err) {
        return [name, `failed: ${(err as Error).message}`] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries) as Record<string, string>;
}
