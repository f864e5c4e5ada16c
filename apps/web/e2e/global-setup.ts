// Everything the specs run against, started once: a fresh test database seeded with two teams and their
// users, zoom-sim (in this process), the portal (`next start`, built first if there is no build), and the
// worker as a child process, all on free loopback ports with their own Redis prefix and frame folder.
// Specs find it all through the E2E_* environment variables set here.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { encryptSecret, generateKeySpec, hashPassword, parseKeyring, SecretContext } from "@capture/db";
import { createTestDatabase } from "@capture/db/testing";
import { JobQueues, redisConnection } from "@capture/jobs";
import { startZoomSim } from "@capture/zoom-sim";

const WEB_DIR = path.resolve(import.meta.dirname, "..");
const WORKER_DIR = path.resolve(WEB_DIR, "../worker");
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const E2E_PASSWORD = "e2e-password-123";

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

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, details = () => "") {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(`e2e setup: ${what} not ready within ${timeoutMs} ms\n${details()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function logTail(child: ChildProcess, name: string) {
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    for (const l of b.toString().split("\n")) if (l.trim()) lines.push(l);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${b}`);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => lines.slice(-40).join("\n");
}

export default async function globalSetup() {
  const testDb = await createTestDatabase("e2e");
  const db = testDb.db;
  const keys = generateKeySpec("e2e");
  const keyring = parseKeyring(keys);
  const dataDir = await mkdtemp(path.join(tmpdir(), "capture-e2e-"));
  const framesDir = path.join(dataDir, "recordings");
  const prefix = `e2e-${randomBytes(4).toString("hex")}`;
  const sim = await startZoomSim({ keepAliveIntervalMs: 1000, roomJoinDelayMs: 300 });
  const o = sim.options;

  // Two teams. A has an owner and a viewer and is wired to zoom-sim; B's owner must see none of A.
  const passwordHash = await hashPassword(E2E_PASSWORD);
  const teamA = await db.team.create({ data: { name: "Acme Capture", slug: "acme" } });
  const teamB = await db.team.create({ data: { name: "Other Team", slug: "other" } });
  const users = {
    ownerA: await db.user.create({ data: { email: "owner@acme.test", name: "Olive Owner", passwordHash } }),
    viewerA: await db.user.create({ data: { email: "viewer@acme.test", name: "Vic Viewer", passwordHash } }),
    ownerB: await db.user.create({ data: { email: "owner@other.test", name: "Otto Other", passwordHash } }),
    lockout: await db.user.create({
      data: { email: "lockout@acme.test", name: "Lou Lockout", passwordHash },
    }),
    multi: await db.user.create({ data: { email: "multi@acme.test", name: "Max Multi", passwordHash } }),
  };
  await db.membership.createMany({
    data: [
      { teamId: teamA.id, userId: users.ownerA.id, role: "OWNER" },
      { teamId: teamA.id, userId: users.viewerA.id, role: "VIEWER" },
      { teamId: teamB.id, userId: users.ownerB.id, role: "OWNER" },
      { teamId: teamA.id, userId: users.lockout.id, role: "VIEWER" },
      { teamId: teamA.id, userId: users.multi.id, role: "ADMIN" },
      { teamId: teamB.id, userId: users.multi.id, role: "VIEWER" },
    ],
  });
  await db.zoomApp.create({
    data: {
      teamId: teamA.id,
      clientId: o.rtmsApp.clientId,
      clientSecretEnc: encryptSecret(keyring, o.rtmsApp.clientSecret, SecretContext.clientSecret),
      webhookSecretTokenEnc: encryptSecret(keyring, o.webhookSecretToken, SecretContext.webhookSecretToken),
      s2sAccountId: o.s2s.accountId,
      s2sClientId: o.s2s.clientId,
      s2sClientSecretEnc: encryptSecret(keyring, o.s2s.clientSecret, SecretContext.s2sClientSecret),
    },
  });

  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const common = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    DATABASE_URL: testDb.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    CAPTURE_ENCRYPTION_KEYS: keys,
    FRAMES_DIR: framesDir,
    ZOOM_API_BASE: sim.urls.apiBase,
    ZOOM_OAUTH_BASE: sim.urls.oauthBase,
    // integrations.spec.ts registers a webhook receiver on loopback (portal validates, worker delivers).
    OUTBOUND_WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
  } as NodeJS.ProcessEnv;

  if (process.env.E2E_BUILD === "1" || !existsSync(path.join(WEB_DIR, ".next", "BUILD_ID"))) {
    const build = spawnSync("pnpm", ["exec", "next", "build"], {
      cwd: WEB_DIR,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: "inherit",
    });
    if (build.status !== 0) throw new Error("e2e setup: next build failed");
  }

  const nextAuthSecret = randomBytes(24).toString("base64");
  const web = spawn(
    path.join(WEB_DIR, "node_modules", ".bin", "next"),
    ["start", "-H", "127.0.0.1", "-p", String(port)],
    {
      cwd: WEB_DIR,
      env: {
        ...common,
        NEXT_TELEMETRY_DISABLED: "1",
        THUMBNAIL_DIR: path.join(dataDir, "thumbnails"),
        NEXTAUTH_SECRET: nextAuthSecret,
        NEXTAUTH_URL: baseURL,
        PUBLIC_BASE_URL: baseURL,
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const webLog = logTail(web, "web");
  await waitFor(async () => (await fetch(`${baseURL}/api/health`)).ok, 60_000, "portal", webLog);

  const worker = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: WORKER_DIR,
    env: {
      ...common,
      NODE_ENV: "test",
      WORKER_ID: "e2e-worker",
      HEALTH_PORT: "0",
      CAPTURE_LOCK_MS: "4000",
      CAPTURE_STALLED_CHECK_MS: "2000",
      EVENT_WS_LEASE_MS: "3000",
      ROOM_JOB_ATTEMPTS: "2",
      ROOM_JOB_BACKOFF_MS: "200",
      ROOM_CONFIRM_TIMEOUT_MS: "5000",
      FRAME_FLUSH_MS: "20",
      RTMS_ALLOWED_HOSTS: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const workerLog = logTail(worker, "worker");
  let workerReady = false;
  worker.stdout?.on("data", (b: Buffer) => {
    if (b.toString().includes('"worker ready"')) workerReady = true;
  });
  await waitFor(async () => workerReady, 60_000, "worker", workerLog);

  // zoom-sim delivers signed webhooks to the portal, like Zoom (after URL validation, like Zoom).
  await sim.webhooks.addTarget(`${baseURL}/api/zoom/webhook/${teamA.id}`, { validate: true });

  Object.assign(process.env, {
    E2E_BASE_URL: baseURL,
    E2E_SIM_CONTROL: sim.urls.controlBase,
    E2E_DATABASE_URL: testDb.url,
    E2E_TEAM_A: teamA.id,
    E2E_TEAM_B: teamB.id,
    E2E_WEBHOOK_SECRET: o.webhookSecretToken,
    E2E_PASSWORD,
    E2E_NEXTAUTH_SECRET: nextAuthSecret,
    E2E_USER_OWNER_A: users.ownerA.id,
    E2E_FRAMES_DIR: framesDir,
  });

  return async () => {
    for (const child of [worker, web]) if (child.exitCode === null) child.kill("SIGTERM");
    const queues = new JobQueues(redisConnection(REDIS_URL), prefix);
    await queues.obliterate();
    await queues.close();
    await sim.close();
    await testDb.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
