// The images, proven without a Docker engine: replay-image.sh runs each Dockerfile's own steps
// (image-steps.sh) in plain folders, offline, and each app then starts from its runner folder alone, running
// the Dockerfile's CMD from its WORKDIR, against the local Postgres and Redis, and S3 on s3rver: zoom-sim's
// frame is stored by the worker in the bucket and served by the portal, with no frames folder shared.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { seedDemo } from "@capture/db/seed";
import { createEmptyDatabase, createTestDatabase } from "@capture/db/testing";
import { inspectImage } from "@capture/rtms-core/frames";
import { startTestS3Server } from "@capture/rtms-core/frames/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");

// Each image is replayed once per run (the portal's next build takes minutes), whichever suite asks first.
// IMAGE_REPLAY_DIR=<folder> keeps the replays there and reuses them on the next run (for debugging).
const keptDir = process.env.IMAGE_REPLAY_DIR;
let workRoot: string | undefined = keptDir;
const replays = new Map<string, Promise<{ image: string; output: string }>>();
function replay(app: "worker" | "web" | "zoom-sim") {
  let pending = replays.get(app);
  if (!pending) {
    pending = (async () => {
      workRoot ??= await mkdtemp(path.join(tmpdir(), "image-replay-"));
      const work = path.join(workRoot, app);
      const log = path.join(workRoot, `${app}.replay.log`);
      if (keptDir && existsSync(log))
        return { image: path.join(work, "image"), output: readFileSync(log, "utf8") };
      const output = await run("bash", [path.join(root, "tooling/deploy/replay-image.sh"), app, work], {
        cwd: root,
        env: { ...process.env, IMAGE_STEPS_OFFLINE: "1" },
      });
      if (keptDir) writeFileSync(log, output);
      return { image: path.join(work, "image"), output };
    })();
    replays.set(app, pending);
  }
  return pending;
}
afterAll(async () => {
  if (workRoot && !keptDir) await rm(workRoot, { recursive: true, force: true });
}, 120_000);
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

/** A free loopback port (next start takes a port, not 0): bind one, note it, release it. */
function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a process's output matches `ready`; rejects with the output if it exits first. */
function outputMatches(child: ChildProcess, ready: RegExp): Promise<() => string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      if (ready.test(output)) resolve(() => output);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`exited ${code} before ${ready}:\n${output}`)));
  });
}

/** Signs in through next-auth's credentials flow, as the login form does; returns the session cookie. */
async function signIn(base: string, email: string, password: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const answer = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  const session = answer.headers.getSetCookie().find((c) => c.includes("session-token="));
  if (!session) throw new Error(`sign-in failed: ${answer.status} ${await answer.text()}`);
  return session.split(";")[0]!;
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
  let image: string;
  let replayOutput = "";

  beforeAll(async () => {
    ({ image, output: replayOutput } = await replay("worker"));
  }, 300_000);

  it("the Dockerfiles and the replay take the same steps", () => {
    const replaySteps = [...read("tooling/deploy/replay-image.sh").matchAll(/bash "\$steps" (\S+)/g)].map(
      (m) => m[1],
    );
    for (const file of ["apps/worker/Dockerfile", "apps/web/Dockerfile", "packages/zoom-sim/Dockerfile"]) {
      expect(dockerfileSteps(file), file).toEqual(["prune", "install-all", "build", "install-prod"]);
      expect(replaySteps, file).toEqual(dockerfileSteps(file));
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
        FRAMES_DIR: path.join(workRoot!, "frames"),
        HEALTH_HOST: "127.0.0.1",
        HEALTH_PORT: "0",
      });
      worker = child;
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // The log line that says where /health listens (HEALTH_PORT=0 picks a free port).
      const port = await logLine(child, (e) =>
        e.msg === "health server listening" ? (e.port as number) : undefined,
      );

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

describe("all three images on S3: zoom-sim -> worker -> bucket -> portal", () => {
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let images: Record<"worker" | "web" | "zoom-sim", string>;

  beforeAll(async () => {
    // One after another: two cores, and next build wants both.
    const worker = (await replay("worker")).image;
    const sim = (await replay("zoom-sim")).image;
    const web = (await replay("web")).image;
    images = { worker, "zoom-sim": sim, web };
  }, 900_000);
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it("a frame the worker image stores in the bucket is served by the portal image", async () => {
    const database = await createTestDatabase("replaycap");
    cleanups.push(() => database.drop());
    const s3 = await startTestS3Server();
    cleanups.push(() => s3.dispose());
    const store = await s3.store("replay-frames");
    cleanups.push(async () => store.close());
    const keys = `k1:${randomBytes(32).toString("base64")}`;
    const s3Env = {
      FRAME_STORE: "s3",
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: store.bucket,
      S3_FORCE_PATH_STYLE: "true",
      // The SDK's default chain reads these, as in a container. No FRAMES_DIR is shared by anyone.
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    };

    const sim = startImage(images["zoom-sim"], "packages/zoom-sim/Dockerfile", DEMO_ZOOM, [
      ...["--host", "127.0.0.1", "--port", "0", "--scenario", "scenarios/demo.yaml"],
    ]);
    children.push(sim);
    // zoom-sim prints one JSON line on stdout when it listens: its URLs and the scenario's meeting.
    const { urls, meeting } = await logLine(sim, (e) =>
      e.urls && e.meeting
        ? (e as { urls: { apiBase: string; eventWs: string }; meeting: { number: string; passcode: string } })
        : undefined,
    );

    const worker = startImage(images.worker, "apps/worker/Dockerfile", {
      ...DEMO_ZOOM,
      ...s3Env,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      CAPTURE_ENCRYPTION_KEYS: keys,
      QUEUE_PREFIX: `replaycap-${randomBytes(4).toString("hex")}`,
      FRAMES_DIR: path.join(workRoot!, "worker-private-frames"),
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: "0",
      ZOOM_API_BASE: urls.apiBase,
      ZOOM_OAUTH_BASE: urls.apiBase,
      ZOOM_EVENT_WS_BASE: urls.eventWs,
      ZOOM_MEETING_NUMBER: meeting.number,
      ZOOM_MEETING_PASSCODE: meeting.passcode,
      RTMS_ALLOWED_HOSTS: "127.0.0.1",
    });
    children.push(worker);
    let workerLog = "";
    worker.stdout!.on("data", (d) => (workerLog += d));
    worker.stderr!.on("data", (d) => (workerLog += d));
    // The worker's log line for a stored frame batch is not a contract; the Frame row is. Polled: the row
    // is written by another process, and Postgres has no event this test could wait on more simply.
    let frame: { id: string; storageKey: string; bytes: number } | null = null;
    for (let i = 0; i < 240 && !frame; i++) {
      frame = await database.db.frame.findFirst({ select: { id: true, storageKey: true, bytes: true } });
      if (!frame) await new Promise((r) => setTimeout(r, 250));
    }
    expect(frame, `a Frame row within 60 s; worker log:\n${workerLog.slice(-4000)}`).not.toBeNull();
    // The seed policy keeps each participant's newest 3 frames, evicting older ones as new ones come: stop
    // the worker (SIGTERM releases its sessions, deleting nothing) so the frames left stay put.
    const workerExited = new Promise((resolve) => worker.on("exit", resolve));
    worker.kill("SIGTERM");
    await workerExited;
    frame = await database.db.frame.findFirst({
      select: { id: true, storageKey: true, bytes: true },
      orderBy: { zoomTimestamp: "desc" },
    });
    expect(frame).not.toBeNull();
    const stored = await store.get(frame!.storageKey);
    expect(stored.length).toBe(frame!.bytes);
    expect(inspectImage(stored)).toMatchObject({ ok: true, format: "jpg" });

    // The portal, on its own private folder too, reads the frame from the bucket.
    const { email } = await seedDemo(database.db, {
      nodeEnv: "test",
      adminEmail: "replay@demo.local",
      adminPassword: "replay-password",
    });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const portal = startImage(images.web, "apps/web/Dockerfile", {
      ...s3Env,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      CAPTURE_ENCRYPTION_KEYS: keys,
      NEXTAUTH_SECRET: randomBytes(24).toString("base64url"),
      NEXTAUTH_URL: base,
      PORT: String(port),
      FRAMES_DIR: path.join(workRoot!, "portal-private-frames"),
      THUMBNAIL_DIR: path.join(workRoot!, "portal-thumbnails"),
    });
    children.push(portal);
    const portalOutput = await outputMatches(portal, /Ready in/);
    // The first sign-in after a start can answer UNAVAILABLE: the portal's producer Redis connection (no
    // offline queue) is created by that request and is not connected yet. Known, reported; retried here.
    let cookie = "";
    for (let attempt = 1; !cookie; attempt++) {
      try {
        cookie = await signIn(base, email, "replay-password");
      } catch (err) {
        if (attempt >= 5 || !String(err).includes("UNAVAILABLE")) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    const image = await fetch(`${base}/api/frames/${frame!.id}`, { headers: { cookie } });
    expect(image.status, `${await image.clone().text()}\n${portalOutput().slice(-3000)}`).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    expect(Buffer.from(await image.arrayBuffer()).equals(stored)).toBe(true);
    const part = await fetch(`${base}/api/frames/${frame!.id}`, { headers: { cookie, range: "bytes=0-99" } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(stored.subarray(0, 100))).toBe(true);
    const thumb = await fetch(`${base}/api/frames/${frame!.id}?size=thumb`, { headers: { cookie } });
    expect(thumb.status).toBe(200);
    expect(inspectImage(Buffer.from(await thumb.arrayBuffer()))).toMatchObject({ ok: true, format: "jpg" });
  }, 180_000);
});

describe("portal image replay", () => {
  let image: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let portal: ChildProcess | undefined;

  beforeAll(async () => {
    image = (await replay("web")).image;
  }, 900_000);
  afterAll(async () => {
    portal?.kill("SIGKILL");
    await database?.drop();
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
    const port = await freePort();
    const child = startImage(image, "apps/web/Dockerfile", {
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      CAPTURE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
      NEXTAUTH_SECRET: randomBytes(24).toString("base64url"),
      PORT: String(port),
      FRAMES_DIR: path.join(workRoot!, "frames"),
    });
    portal = child;
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const output = await outputMatches(child, /Ready in/);
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status, output()).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, postgres: "ok", redis: "ok" });
    expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
    child.kill("SIGTERM");
    await exited;
    portal = undefined;
  });
});
