// rtms-core as someone outside this repository gets it: `pnpm pack` (which builds dist/ first), the tarball
// installed with npm into an empty folder outside the workspace (zod and ws come from the npm registry), a
// strict TypeScript consumer checked against its declarations, and README examples 1 (capture JPG frames
// from a webhook) and 2 (individual-video rotation) run from that folder with plain Node against zoom-sim
// started from the workspace.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const simBin = path.resolve(pkgDir, "../zoom-sim/bin/zoom-sim.js");
const CREDS = { clientId: "pack-client-id", clientSecret: "pack-client-secret", secretToken: "pack-secret" };

let dir: string;
let simControl: string;
const children: ChildProcess[] = [];

function stop(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  return exited;
}

/** A child whose stdout is JSON lines; `next(match)` resolves with the first line it accepts. */
function jsonChild(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: "pipe" });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + String(d)).slice(-4_000);
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const w of [...waiters]) w();
  });
  const next = (match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = lines.find(match);
        if (!hit) return false;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`no ${what} from ${path.basename(args[0] ?? command)}; stderr: ${stderr}`));
      }, timeoutMs);
      waiters.push(check);
      check();
    });
  return { child, lines, next };
}

async function control(base: string, route: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "rtms-core-pack-"));
  await run("pnpm", ["pack", "--pack-destination", dir], { cwd: pkgDir, maxBuffer: 16 * 1024 * 1024 });
  const tarball = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("pnpm pack wrote no tarball");
  await writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  // The workspace's TypeScript and Node types, to typecheck a consumer against the published .d.ts files.
  const version = async (name: string) =>
    (
      JSON.parse(await readFile(path.join(pkgDir, "node_modules", name, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  const tools = [`typescript@${await version("typescript")}`, `@types/node@${await version("@types/node")}`];
  await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`, ...tools], {
    cwd: dir,
  });
  for (const f of ["capture-frames.mjs", "verify-webhook.mjs", "video-rotation.mjs"])
    await copyFile(path.join(pkgDir, "examples", f), path.join(dir, f));
  const sim = jsonChild(
    process.execPath,
    [
      simBin,
      "--port=0",
      `--client-id=${CREDS.clientId}`,
      `--client-secret=${CREDS.clientSecret}`,
      `--secret-token=${CREDS.secretToken}`,
      "--no-audio",
      "--log-level=warn",
    ],
    { cwd: pkgDir },
  );
  const { urls } = (await sim.next((l) => "urls" in l, "zoom-sim URLs")) as {
    urls: { controlBase: string };
  };
  simControl = urls.controlBase;
}, 300_000);

afterAll(async () => {
  await Promise.all(children.map(stop));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the packed library", () => {
  it("installs outside the workspace with the built entry points and no TypeScript sources", async () => {
    const manifest = JSON.parse(
      await readFile(path.join(dir, "node_modules/@capture/rtms-core/package.json"), "utf8"),
    ) as { exports: Record<string, { types: string; import: string }>; dependencies: Record<string, string> };
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", import: "./dist/index.js" });
    expect(Object.values(manifest.dependencies).some((v) => v.startsWith("catalog:"))).toBe(false);
    const files = await readdir(path.join(dir, "node_modules/@capture/rtms-core/dist"), { recursive: true });
    expect(files).toContain("index.d.ts");
    expect(files.some((f) => String(f).endsWith(".test.js"))).toBe(false);
    const { stdout } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import * as core from "@capture/rtms-core"; import * as p from "@capture/rtms-core/protocol";' +
          " console.log(JSON.stringify({ session: typeof core.RtmsSession, error: typeof core.RtmsError," +
          ' allowed: core.isAllowedUrl("wss://rtms.zoom.us"), parse: typeof p.parseMessage }))',
      ],
      { cwd: dir },
    );
    expect(JSON.parse(stdout)).toEqual({
      session: "function",
      error: "function",
      allowed: true,
      parse: "function",
    });
  });

  it("typechecks a strict NodeNext consumer against the published declarations", async () => {
    await writeFile(
      path.join(dir, "consumer.ts"),
      [
        'import { isRtmsError, RtmsSession, type StoppedEvent } from "@capture/rtms-core";',
        'import { parseMessage } from "@capture/rtms-core/protocol";',
        "const session = new RtmsSession({",
        '  clientId: "id", clientSecret: "secret", meetingUuid: "m==", rtmsStreamId: "s",',
        '  serverUrls: "wss://rtms.zoom.us", allowedHosts: ["*.zoom.us"],',
        "});",
        'session.on("frame", (f) => { const jpeg: Buffer = f.decode(); void jpeg; });',
        'session.on("stopped", (s: StoppedEvent) => { if (isRtmsError(s.error)) console.log(s.error.code); });',
        'const parsed = parseMessage("{}");',
        "export const ok: boolean = parsed.ok;",
        "",
      ].join("\n"),
    );
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true },
        files: ["consumer.ts"],
      }),
    );
    await run(process.execPath, [path.join(dir, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: dir });
  }, 120_000);

  it("runs example 1 against zoom-sim: webhook in, JPG frames out", async () => {
    const framesDir = path.join(dir, "frames");
    const example = jsonChild(process.execPath, ["capture-frames.mjs"], {
      cwd: dir,
      env: {
        PORT: "0",
        ZOOM_SECRET_TOKEN: CREDS.secretToken,
        ZOOM_CLIENT_ID: CREDS.clientId,
        ZOOM_CLIENT_SECRET: CREDS.clientSecret,
        RTMS_ALLOWED_HOSTS: "127.0.0.1",
        FRAMES_DIR: framesDir,
        FRAMES_PER_PARTICIPANT: "3",
      },
    });
    const { listening } = (await example.next((l) => "listening" in l, "listening line")) as {
      listening: string;
    };
    await control(simControl, "/webhooks", { url: listening });
    await control(simControl, "/meetings", {
      number: "81234567890",
      participants: [{ name: "Alice", camera: true }],
    });
    await control(simControl, "/meetings/81234567890/rtms/start", {});

    const saved: string[] = [];
    for (let i = 0; i < 3; i++) {
      const line = await example.next(
        (l) => typeof l.saved === "string" && !saved.includes(l.saved),
        `saved frame ${i + 1}`,
      );
      saved.push(line.saved as string);
    }
    for (const file of saved) {
      const bytes = await readFile(file);
      expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]); // JPEG start-of-image marker
    }
    await control(simControl, "/meetings/81234567890/rtms/stop", {});
    const stopped = await example.next((l) => "stopped" in l, "stopped line");
    expect(stopped).toMatchObject({ source: "zoom" });
    expect(example.lines.filter((l) => "failed" in l)).toEqual([]);
    // Later streams of this simulator must not reach this example.
    await stop(example.child);
  }, 120_000);

  it("runs example 2 against zoom-sim: the individual-video subscription visits every camera", async () => {
    await control(simControl, "/meetings", {
      number: "81234567891",
      participants: [
        { name: "Alice", camera: true },
        { name: "Bob", camera: true },
        { name: "Carol", camera: false },
      ],
    });
    const stream = (await control(simControl, "/meetings/81234567891/rtms/start", {})) as {
      streamId: string;
      meetingUuid: string;
      serverUrls: string;
    };
    const example = jsonChild(process.execPath, ["video-rotation.mjs"], {
      cwd: dir,
      env: {
        ZOOM_CLIENT_ID: CREDS.clientId,
        ZOOM_CLIENT_SECRET: CREDS.clientSecret,
        RTMS_ALLOWED_HOSTS: "127.0.0.1",
        RTMS_SERVER_URLS: stream.serverUrls,
        MEETING_UUID: stream.meetingUuid,
        RTMS_STREAM_ID: stream.streamId,
        ROTATE_MS: "400",
        RUN_SECONDS: "4",
      },
    });
    const done = await example.next((l) => "framesPerParticipant" in l, "frame counts", 30_000);
    const counts = done.framesPerParticipant as Record<string, number>;
    // Alice and Bob have cameras on: both got frames; Carol's camera is off: she is never visited.
    expect(Object.keys(counts)).toHaveLength(2);
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(0);
    const subscribed = example.lines
      .map((l) => (l.rotation as { type?: string; userId?: string } | undefined) ?? {})
      .filter((e) => e.type === "subscribed")
      .map((e) => e.userId);
    expect(new Set(subscribed).size).toBe(2);
  }, 60_000);
});
