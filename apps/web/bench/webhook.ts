// Webhook burst benchmark (issue 9). Against the portal's real route handlers, served either by
// bench/route-host.ts over node:http (default: no build needed) or by the built portal (`BENCH_SERVER=next`:
// `next start` on the existing build), with real Postgres and Redis, it measures:
//   1. baseline: 500 concurrent GET /api/health (one SELECT 1 and one Redis PING each), same run;
//   2. 500 concurrent validly signed meeting.rtms_started events: all must be answered 200, p50/p99;
//   3. 500 unsigned requests at once, with one real signed webhook sent in the middle of them: that
//      webhook's latency beside the junk's p50/p99.
// Target: p99 of the signed burst under Zoom's 3 s.
//   pnpm --filter @capture/web exec tsx bench/webhook.ts     (BENCH_EVENTS=500, BENCH_LOG_LEVEL=info)
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { encryptSecret, generateKeySpec, parseKeyring, SecretContext } from "@capture/db";
import { createTestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import { signWebhook } from "@capture/rtms-core/webhook";
import { percentile } from "./timing.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const WEB_DIR = path.resolve(import.meta.dirname, "..");
const SECRET = "bench-webhook-secret";

interface Timed {
  ms: number;
  status: number;
}

/**
 * CPU time (user + system, ms) the server process has used so far, from /proc (Linux). Latency on a shared
 * machine moves with everyone else's load; the server's own CPU per request does not, so it is printed too.
 */
function serverCpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 1/100 s ticks
  } catch {
    return Number.NaN;
  }
}

async function phase(name: string, pid: number | undefined, run: () => Promise<Timed[]>) {
  const cpu0 = serverCpuMs(pid);
  const results = await run();
  const cpuPerRequest = (serverCpuMs(pid) - cpu0) / results.length;
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const statuses: Record<number, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    name,
    n: results.length,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: ms.at(-1)!,
    cpuPerRequest,
    statuses,
  };
}

// BENCH_ACCEPT_ENCODING=identity: ask for uncompressed answers (shows what Next's gzip costs per response).
const ACCEPT_ENCODING = process.env.BENCH_ACCEPT_ENCODING;

async function timed(url: string, init: RequestInit = {}): Promise<Timed> {
  const t0 = performance.now();
  try {
    const headers = new Headers(init.headers);
    if (ACCEPT_ENCODING) headers.set("accept-encoding", ACCEPT_ENCODING);
    const res = await fetch(url, { ...init, headers });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  } catch {
    return { ms: performance.now() - t0, status: 0 };
  }
}

function signedEvent(base: string, teamId: string, i: number, run: string): [string, RequestInit] {
  const now = Date.now();
  const body = JSON.stringify({
    event: "meeting.rtms_started",
    event_ts: now,
    payload: {
      meeting_uuid: `bench-${run}-${i}==`,
      operator_id: "bench",
      rtms_stream_id: `bench-${run}-${i}`,
      server_urls: "wss://127.0.0.1:1/signaling",
    },
  });
  const ts = Math.floor(now / 1000);
  return [
    `${base}/api/zoom/webhook/${teamId}`,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-zm-request-timestamp": String(ts),
        "x-zm-signature": signWebhook(SECRET, ts, body),
      },
      body,
    },
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function startNext(env: NodeJS.ProcessEnv): Promise<{ base: string; child: ChildProcess }> {
  if (!existsSync(path.join(WEB_DIR, ".next", "BUILD_ID"))) {
    throw new Error("BENCH_SERVER=next needs a build: pnpm --filter @capture/web build");
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // BENCH_NODE_ARGS (e.g. --cpu-prof) go to node itself, which runs Next's CLI in this one process.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(WEB_DIR, "node_modules", "next", "dist", "bin", "next"),
      "start",
      "-H",
      "127.0.0.1",
      "-p",
      String(port),
    ],
    {
      cwd: WEB_DIR,
      env: { ...env, NEXT_TELEMETRY_DISABLED: "1", NEXTAUTH_URL: base },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${base}/api/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error("portal did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, child };
}

async function startHost(env: NodeJS.ProcessEnv): Promise<{ base: string; child: ChildProcess }> {
  if (process.env.BENCH_SERVER === "next") return startNext(env);
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "bench/route-host.ts"], {
    cwd: WEB_DIR,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("route host did not start in 60 s")), 60_000);
    child.stdout?.on("data", (b: Buffer) => {
      const m = /listening (\d+)/.exec(b.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`route host exited with ${code}`)));
  });
  return { base: `http://127.0.0.1:${port}`, child };
}

async function main() {
  const loadAtStart = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const t = await createTestDatabase("whbench");
  const keys = generateKeySpec("bench");
  const prefix = `bench-${randomBytes(4).toString("hex")}`;
  const run = randomBytes(3).toString("hex");
  let host: ChildProcess | undefined;
  const queues = new JobQueues(redisConnection(REDIS_URL), prefix);
  try {
    const team = await t.db.team.create({ data: { name: "Bench", slug: "bench" } });
    await t.db.zoomApp.create({
      data: {
        teamId: team.id,
        clientId: "bench",
        clientSecretEnc: encryptSecret(parseKeyring(keys), "x", SecretContext.clientSecret),
        webhookSecretTokenEnc: encryptSecret(parseKeyring(keys), SECRET, SecretContext.webhookSecretToken),
      },
    });
    const started = await startHost({
      PATH: process.env.PATH,
      NODE_ENV: "production",
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
      DATABASE_URL: t.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      CAPTURE_ENCRYPTION_KEYS: keys,
      NEXTAUTH_SECRET: randomBytes(24).toString("base64"),
      ...(process.env.BENCH_WEBHOOK_ROUTE ? { BENCH_WEBHOOK_ROUTE: process.env.BENCH_WEBHOOK_ROUTE } : {}),
    } as NodeJS.ProcessEnv);
    host = started.child;
    const base = started.base;
    const webhookUrl = `${base}/api/zoom/webhook/${team.id}`;

    // Warm-up: pools, the secret cache, the module graph.
    for (let i = 0; i < 20; i++) {
      await timed(`${base}/api/health`);
      await timed(...signedEvent(base, team.id, i, `${run}w`));
    }

    const pid = host.pid;
    const baseline = await phase(`baseline: ${EVENTS} x GET /api/health at once`, pid, () =>
      Promise.all(Array.from({ length: EVENTS }, () => timed(`${base}/api/health`))),
    );
    const burst = await phase(`${EVENTS} signed rtms_started at once`, pid, () =>
      Promise.all(Array.from({ length: EVENTS }, (_, i) => timed(...signedEvent(base, team.id, i, run)))),
    );
    const junkBody = JSON.stringify({ event: "meeting.rtms_started", payload: { pad: "x".repeat(2000) } });
    let realResult: Timed | undefined;
    const junkResults = await phase(`${EVENTS} unsigned at once (+1 signed)`, pid, async () => {
      const junk = Array.from({ length: EVENTS }, () =>
        timed(webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: junkBody,
        }),
      );
      const real = timed(...signedEvent(base, team.id, 0, `${run}r`));
      const results = await Promise.all(junk);
      realResult = await real;
      return results;
    });
    if (!realResult) throw new Error("unreachable");

    const enqueued = await queues.zoomEvents.getJobCounts("waiting", "active", "delayed");

    const ms = (v: number) => `${v.toFixed(0)} ms`.padStart(9);
    const server =
      process.env.BENCH_SERVER === "next" ? "next start (the build)" : "route handlers on node:http";
    console.log(`\nserver: ${server}`);
    console.log(`load average at start: ${loadAtStart}`);
    console.log(
      `${"phase".padEnd(44)}${"p50".padStart(9)}${"p99".padStart(9)}${"max".padStart(9)}${"cpu/req".padStart(10)}  answers`,
    );
    for (const r of [baseline, burst, junkResults]) {
      const cpu = `${r.cpuPerRequest.toFixed(2)} ms`.padStart(10);
      console.log(
        `${r.name.padEnd(44)}${ms(r.p50)}${ms(r.p99)}${ms(r.max)}${cpu}  ${JSON.stringify(r.statuses)}`,
      );
    }
    console.log(
      `${"one signed webhook amid the unsigned".padEnd(44)}${ms(realResult.ms)}${"".padStart(18)}  {"${realResult.status}":1}`,
    );
    console.log(`\njobs in the queue: ${JSON.stringify(enqueued)} (expected ${20 + EVENTS + 1})`);
    const all200 = burst.statuses[200] === EVENTS;
    console.log(
      `target signed burst p99 < 3000 ms, all answered 200: ${burst.p99.toFixed(0)} ms, ${burst.statuses[200] ?? 0}/${EVENTS} -> ${burst.p99 < 3000 && all200 ? "met" : "MISSED"}`,
    );
    console.log(
      `burst p50 is ${(burst.p50 / baseline.p50).toFixed(1)}x the baseline's; the webhook amid junk took ${realResult.ms.toFixed(0)} ms`,
    );
  } finally {
    if (host && host.exitCode === null) {
      const exited = new Promise((resolve) => host?.once("exit", resolve));
      host.kill("SIGTERM");
      await exited;
    }
    await queues.obliterate();
    await queues.close();
    await t.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
