// The worker and portal images, proven without a Docker engine: replay-image.sh runs the Dockerfile's own
// steps (image-steps.sh) in plain folders, offline, and each app then starts from the runner folder alone,
// running the Dockerfile's CMD from its WORKDIR, against the local Postgres and Redis.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { createEmptyDatabase, createTestDatabase } from "@capture/db/testing";
import { inspectImage, type S3FrameStore } from "@capture/rtms-core/frames";
import { startTestS3Server } from "@capture/rtms-core/frames/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** The steps a Dockerfile's RUN lines take, in order. */
function dockerfileSteps(file: string): string[] {
  return [...read(file).matchAll(/^RUN .*image-steps\.sh (\S+)/gm)].map((m) => m[1]!);
}

/** The runner stage's last WORKDIR and its CMD (or ENTRYPOINT, for zoom-sim). */
function dockerfileCmd(file: string): { workdir: string; cmd: string[] } {
  const text = read(file);
  const runner = text.slice(text.lastIndexOf("\nFROM "));
  const workdir = [...runner.matchAll(/^WORKDIR (\S+)/gm)].at(-1)![1]!;
  const cmd = JSON.parse(/^(?:CMD|ENTRYPOINT) (\[.*\])$/m.exec(runner)![1]!) as string[];
  return { workdir, cmd };
}

/** Starts an image's CMD from its WORKDIR inside the replayed runner folder. */
function startImage(image: string, dockerfile: string, env: Record<string, string>, args: string[] = []) {
  const { workdir, cmd } = dockerfileCmd(dockerfile);
  return spawn(cmd[0]!, [...cmd.slice(1), ...args], {
    cwd: path.join(image, path.relative("/repo", workdir)),
    env: containerEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs a command to completion; rejects with its output when it fails. */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}:\n${out}`)),
    );
  });
}

/** The environment of a fresh container: no repository tools on PATH, nothing inherited but basics. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const pathDirs = (process.env.PATH ?? "").split(":").filter((d) => !d.includes("node_modules"));
  return { PATH: pathDirs.join(":"), HOME: process.env.HOME, NODE_ENV: "production", ...extra };
}

describe("worker image replay", () => {
  let work: string;
  let image: string;
  let replayOutput = "";

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "image-replay-"));
    replayOutput = await run("bash", [path.join(root, "tooling/deploy/replay-image.sh"), "worker", work], {
      cwd: root,
      env: { ...process.env, IMAGE_STEPS_OFFLINE: "1" },
    });
    image = path.join(work, "image");
  }, 300_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("the Dockerfiles and the replay take the same steps", () => {
    const replay = [...read("tooling/deploy/replay-image.sh").matchAll(/bash "\$steps" (\S+)/g)].map(
      (m) => m[1],
    );
    for (const file of ["apps/worker/Dockerfile", "apps/web/Dockerfile", "packages/zoom-sim/Dockerfile"]) {
      expect(dockerfileSteps(file), file).toEqual(["prune", "install-all", "build", "install-prod"]);
      expect(replay, file).toEqual(dockerfileSteps(file));
    }
  });

  it("installs production dependencies only, offline, and compiles the worker to JavaScript", () => {
    expect(replayOutput).toMatch(/node_modules_bytes=\d+/);
    const installed = readdirSync(path.join(image, "node_modules/.pnpm"));
    for (const devOnly of ["vitest@", "@vitest+", "@biomejs+biome@", "turbo@", "s3rver@"]) {
      expect(
        installed.filter((name) => name.startsWith(devOnly)),
        devOnly,
      ).toEqual([]);
    }
    expect(existsSync(path.join(image, "apps/worker/dist/main.js"))).toBe(true);
    const { workdir, cmd } = dockerfileCmd("apps/worker/Dockerfile");
    expect(workdir).toBe("/repo/apps/worker");
    expect(cmd[0]).toBe("node");
    expect(cmd.join(" ")).not.toMatch(/tsx|\.ts\b/);
  });

  describe("started from the image folder alone", () => {
    let database: { url: string; drop(): Promise<void> };
    let worker: ChildProcess | undefined;
    beforeAll(async () => {
      database = await createEmptyDatabase("replay");
    });
    afterAll(async () => {
      worker?.kill("SIGKILL");
      await database?.drop();
    });

    it("migrates with compose's migrate command, then the worker answers /health and /health/ready", async () => {
      // compose runs the migration in the worker image: `pnpm --filter @capture/db migrate:deploy`.
      await run("pnpm", ["--filter", "@capture/db", "migrate:deploy"], {
        cwd: path.join(image, "apps/worker"),
        env: containerEnv({ DATABASE_URL: database.url }),
      });

      const child = startImage(image, "apps/worker/Dockerfile", {
        DATABASE_URL: database.url,
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        CAPTURE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
        QUEUE_PREFIX: `replay-${randomBytes(4).toString("hex")}`,
        FRAMES_DIR: path.join(work, "frames"),
        HEALTH_HOST: "127.0.0.1",
        HEALTH_PORT: "0",
      });
      worker = child;
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // The log line that says where /health listens (HEALTH_PORT=0 picks a free port).
      const port = await new Promise<number>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on("line", (line) => {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === "health server listening") resolve(entry.port!);
        });
        void exited.then((code) => reject(new Error(`worker exited ${code} before listening:\n${stderr}`)));
      });

      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(ready.status, await ready.text()).toBe(200);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      worker = undefined;
    });
  });
});

/** Resolves with the first JSON log line `match` accepts; rejects if the process exits first. */
function logLine<T>(
  child: ChildProcess,
  match: (entry: Record<string, unknown>) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let output = "";
    child.stderr!.on("data", (d) => (output += d));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output += `${line}\n`;
      try {
        const found = match(JSON.parse(line));
        if (found !== undefined) resolve(found);
      } catch {
        // not a JSON log line
      }
    });
    child.on("exit", (code) => reject(new Error(`exited ${code} before the expected log line:\n${output}`)));
  });
}

// The seed sample's variables as the demo sets them: zoom-sim and the worker agree on these.
const DEMO_ZOOM = {
  ZOOM_CLIENT_ID: "demo-rtms-client-id",
  ZOOM_CLIENT_SECRET: "demo-rtms-client-secret",
  ZOOM_SECRET_TOKEN: "demo-webhook-secret-token",
  S2S_ZOOM_CLIENT_ID: "demo-s2s-client-id",
  S2S_ZOOM_CLIENT_SECRET: "demo-s2s-client-secret",
  ZOOM_ACCOUNT_ID: "demo-account",
};

describe("worker and zoom-sim images capture into S3", () => {
  let work: string;
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "image-replay-capture-"));
    for (const app of ["worker", "zoom-sim"]) {
      await run("bash", [path.join(root, "tooling/deploy/replay-image.sh"), app, path.join(work, app)], {
        cwd: root,
        env: { ...process.env, IMAGE_STEPS_OFFLINE: "1" },
      });
    }
  }, 300_000);
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("a frame from the zoom-sim image is stored by the worker image in the bucket, as a JPEG", async () => {
    const database = await createTestDatabase("replaycap");
    cleanups.push(() => database.drop());
    const s3 = await startTestS3Server();
    cleanups.push(() => s3.dispose());
    const store = await s3.store("replay-frames");

    const sim = startImage(path.join(work, "zoom-sim/image"), "packages/zoom-sim/Dockerfile", DEMO_ZOOM, [
      ...["--host", "127.0.0.1", "--port", "0", "--scenario", "scenarios/demo.yaml"],
    ]);
    children.push(sim);
    // zoom-sim prints one JSON line on stdout when it listens: its URLs and the scenario's meeting.
    const { urls, meeting } = await logLine(sim, (e) =>
      e.urls && e.meeting
        ? (e as { urls: { apiBase: string; eventWs: string }; meeting: { number: string; passcode: string } })
        : undefined,
    );

    const worker = startImage(path.join(work, "worker/image"), "apps/worker/Dockerfile", {
      ...DEMO_ZOOM,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      CAPTURE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      QUEUE_PREFIX: `replaycap-${randomBytes(4).toString("hex")}`,
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: "0",
      ZOOM_API_BASE: urls.apiBase,
      ZOOM_OAUTH_BASE: urls.apiBase,
      ZOOM_EVENT_WS_BASE: urls.eventWs,
      ZOOM_MEETING_NUMBER: meeting.number,
      ZOOM_MEETING_PASSCODE: meeting.passcode,
      RTMS_ALLOWED_HOSTS: "127.0.0.1",
      FRAME_STORE: "s3",
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: store.bucket,
      S3_FORCE_PATH_STYLE: "true",
      // The SDK's default chain reads these, as in a container.
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    });
    children.push(worker);
    let workerLog = "";
    worker.stdout!.on("data", (d) => (workerLog += d));
    worker.stderr!.on("data", (d) => (workerLog += d));
    // The worker's log line for a stored frame batch is not a contract; the Frame row is. Polled: the row
    // is written by another process, and Postgres has no event this test could wait on more simply.
    let frame: { storageKey: string; bytes: number } | null = null;
    for (let i = 0; i < 240 && !frame; i++) {
      frame = await database.db.frame.findFirst({ select: { storageKey: true, bytes: true } });
      if (!frame) await new Promise((r) => setTimeout(r, 250));
    }
    expect(frame, `a Frame row within 60 s; worker log:\n${workerLog.slice(-4000)}`).not.toBeNull();
    const head = await store.head(frame!.storageKey);
    expect(head?.bytes).toBe(frame!.bytes);
    const bytes = await store.get(frame!.storageKey);
    expect(inspectImage(bytes)).toMatchObject({ ok: true, format: "jpg" });
    expect(frame!.storageKey.split("/")).toHaveLength(3);
    (store as S3FrameStore).close();
  }, 120_000);
});

describe("portal image replay", () => {
  let work: string;
  let image: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let portal: ChildProcess | undefined;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "image-replay-web-"));
    // next build is most of this: minutes on a busy two-core machine.
    await run("bash", [path.join(root, "tooling/deploy/replay-image.sh"), "web", work], {
      cwd: root,
      env: { ...process.env, IMAGE_STEPS_OFFLINE: "1" },
    });
    image = path.join(work, "image");
  }, 900_000);
  afterAll(async () => {
    portal?.kill("SIGKILL");
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("runs next start from the image folder alone, and /api/health sees Postgres and Redis", async () => {
    const installed = readdirSync(path.join(image, "node_modules/.pnpm"));
    // (@playwright/test does get in: the lockfile resolves next's optional peer to it. No browser comes.)
    expect(installed.filter((name) => name.startsWith("vitest@") || name.startsWith("@biomejs+"))).toEqual(
      [],
    );
    const { cmd } = dockerfileCmd("apps/web/Dockerfile");
    expect(cmd.join(" ")).not.toMatch(/tsx|pnpm/);

    database = await createEmptyDatabase("replayweb");
    await run("pnpm", ["--filter", "@capture/db", "migrate:deploy"], {
      cwd: image,
      env: containerEnv({ DATABASE_URL: database.url }),
    });
    // A free port: bind one, note it, release it (next start takes a port, not 0).
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const child = startImage(image, "apps/web/Dockerfile", {
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      CAPTURE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      NEXTAUTH_SECRET: randomBytes(24).toString("base64url"),
      PORT: String(port),
      FRAMES_DIR: path.join(work, "frames"),
    });
    portal = child;
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // next prints "Ready" once it accepts connections.
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", () => {
        if (/Ready in/.test(output)) resolve();
      });
      void exited.then((code) => reject(new Error(`portal exited ${code} before ready:\n${output}`)));
    });
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status, output).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, postgres: "ok", redis: "ok" });
    expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
    child.kill("SIGTERM");
    await exited;
    portal = undefined;
  });
});
