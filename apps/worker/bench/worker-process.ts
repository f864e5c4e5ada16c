// A capture worker as a child process for benches: spawned with tsx against a zoom-sim, its stdout
// (pino JSON) kept for the report, its /metrics scraped. Several phases start workers with different
// env (a second worker, another frame store) through `extraEnv`.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { generateKeySpec } from "@capture/db";
import type { ZoomSim } from "@capture/zoom-sim";
import { freePort, parseMetrics, type Samples } from "./metrics.ts";

export interface WorkerProcessOptions {
  sim: ZoomSim;
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ queue prefix; workers sharing one prefix share the capture jobs. */
  queuePrefix: string;
  framesDir: string;
  /** WORKER_CONCURRENCY and TEAM_MAX_SESSIONS (every bench stream is the one demo team's). */
  maxSessions: number;
  /** Added last: overrides the defaults above (FRAME_STORE=s3, WORKER_ID, ...). */
  extraEnv?: Record<string, string>;
  /** Node flags before `--import tsx` (BENCH_WORKER_ARGS, e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Default: a free loopback port. */
  healthPort?: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  healthPort: number;
  base: string;
  /** Every stdout line the worker logged (pino JSON). */
  logs: string[];
  scrape(): Promise<Samples>;
  /** Resolves when /health answers; throws with the worker's logs after `timeoutMs`. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGTERM (release sessions) or SIGKILL; resolves on exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** "running", the exit code or the signal. */
  exitState(): string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** One keyring for every worker of this bench, as in a deployment: each decrypts what the others stored. */
const KEY_SPEC = generateKeySpec("b1");
const SCRAPE_TIMEOUT_MS = Number(process.env.BENCH_SCRAPE_TIMEOUT_MS ?? 30_000);
/** BENCH_TRACE=1: every scrape's duration and both processes' event-loop lag (which side is slow). */
const TRACE = process.env.BENCH_TRACE === "1";
const benchLoop = monitorEventLoopDelay({ resolution: 10 });
if (TRACE) benchLoop.enable();

export async function startWorkerProcess(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const healthPort = o.healthPort ?? (await freePort());
  const so = o.sim.options;
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), "--import", "tsx", "src/main.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
      DATABASE_URL: o.databaseUrl,
      REDIS_URL: o.redisUrl,
      QUEUE_PREFIX: o.queuePrefix,
      CAPTURE_ENCRYPTION_KEYS: KEY_SPEC,
      FRAMES_DIR: o.framesDir,
      ZOOM_API_BASE: o.sim.urls.apiBase,
      ZOOM_OAUTH_BASE: o.sim.urls.oauthBase,
      ZOOM_EVENT_WS_BASE: o.sim.urls.eventWs,
      RTMS_ALLOWED_HOSTS: "127.0.0.1",
      ZOOM_CLIENT_ID: so.rtmsApp.clientId,
      ZOOM_CLIENT_SECRET: so.rtmsApp.clientSecret,
      HEALTH_PORT: String(healthPort),
      ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
      WORKER_CONCURRENCY: String(o.maxSessions),
      TEAM_MAX_SESSIONS: String(o.maxSessions),
      ...o.extraEnv,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => logs.push(l));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const base = `http://127.0.0.1:${healthPort}`;
  const exitState = () => String(child.exitCode ?? child.signalCode ?? "running");
  return {
    child,
    pid: child.pid ?? -1,
    healthPort,
    base,
    logs,
    exitState,
    async scrape() {
      const t0 = performance.now();
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      const samples = parseMetrics(await res.text());
      if (TRACE) {
        console.log(
          `trace ${new Date().toISOString().slice(11, 19)} worker ${healthPort}: scrape ` +
            `${(performance.now() - t0).toFixed(0)} ms, active ${samples.get("capture_active_sessions")}, ` +
            `worker loop p99 ${((samples.get("nodejs_eventloop_lag_p99_seconds") ?? 0) * 1000).toFixed(0)} ms, ` +
            `bench loop p99 ${(benchLoop.percentile(99) / 1e6).toFixed(0)} ms`,
        );
        benchLoop.reset();
      }
      return samples;
    },
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          if ((await fetch(`${base}/health`)).ok) return;
        } catch {}
        if (Date.now() > deadline || exitState() !== "running")
          throw new Error(`worker did not start (exit ${exitState()}):\n${logs.join("\n")}`);
        await sleep(100);
      }
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (exitState() === "running") child.kill(signal);
      await exited;
    },
  };
}

/** What a worker warned about during a run, counted by message (it logs at warn level in benches). */
export function warningsByMessage(logs: string[]): Record<string, number> {
  const byMsg = new Map<string, number>();
  for (const line of logs) {
    try {
      const msg = (JSON.parse(line) as { msg?: string }).msg ?? "?";
      byMsg.set(msg, (byMsg.get(msg) ?? 0) + 1);
    } catch {}
  }
  return Object.fromEntries(byMsg);
}

/** One line per distinct message, for BENCH_DUMP_LOGS (what a warning said, not just how often). */
export function sampleLines(logs: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of logs) {
    let kind = "?";
    try {
      kind = (JSON.parse(line) as { msg?: string }).msg ?? "?";
    } catch {}
    if (seen.has(kind)) continue;
    seen.add(kind);
    out.push(line.slice(0, 600));
  }
  return out;
}
