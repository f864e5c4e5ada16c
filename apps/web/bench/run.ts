// Gallery benchmark: one participant with 10,000 frames, served by the built portal (`next start`) over
// real HTTP with a real session cookie. Prints p50/p95/p99 per route next to a baseline measured in the
// same run (/api/health: one SELECT 1 and one Redis PING), and the thumbnail sizes.
// Targets (issue 5): gallery page and API p95 under 200 ms; thumbnails under 20 KB each.
//   pnpm --filter @capture/web bench        (needs Postgres and Redis; builds the app if there is no build)
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { link, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { generateKeySpec } from "@capture/db";
import { createTestDatabase } from "@capture/db/testing";
import { encode } from "next-auth/jwt";
import sharp from "sharp";
import { measureGets, percentile } from "./timing.ts";

const FRAMES = Number(process.env.BENCH_FRAMES ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const WEB_DIR = path.resolve(import.meta.dirname, "..");

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

/**
 * A busy 1280x720 JPEG: 8-pixel blocks of random colour plus noise. Much harder to compress than a camera
 * picture (which is smooth almost everywhere), so the thumbnail size measured here is a worst case.
 */
async function cameraFrame(): Promise<Buffer> {
  const w = 1280;
  const h = 720;
  const raw = Buffer.alloc(w * h * 3);
  let x = 12345;
  const rnd = () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x >>> 24;
  };
  const blocks = new Map<number, [number, number, number]>();
  for (let i = 0; i < w * h; i++) {
    const px = i % w;
    const py = Math.floor(i / w);
    const key = Math.floor(py / 8) * 1000 + Math.floor(px / 8);
    let c = blocks.get(key);
    if (!c) {
      c = [rnd(), rnd(), rnd()];
      blocks.set(key, c);
    }
    const n = (rnd() >> 3) - 16;
    raw[i * 3] = c[0] + n;
    raw[i * 3 + 1] = c[1] + n;
    raw[i * 3 + 2] = c[2] + n;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** One signed-in user's GETs, timed. */
const measure = (url: string, cookie: string, n: number, concurrency = 1) =>
  measureGets(url, { cookie }, n, concurrency);

async function main() {
  const started = performance.now();
  const t = await createTestDatabase("bench");
  const dataDir = await mkdtemp(path.join(tmpdir(), "capture-bench-"));
  const framesDir = path.join(dataDir, "recordings");
  const secret = randomBytes(24).toString("base64");
  let server: ReturnType<typeof spawn> | undefined;
  try {
    // Seed: one team, one session, one participant with FRAMES frames. Every file is a hard link to one
    // JPEG (cheap to create, real to read); each thumbnail is still rendered and cached per frame id.
    const team = await t.db.team.create({ data: { name: "Bench", slug: "bench" } });
    const user = await t.db.user.create({
      data: { email: "bench@example.test", name: "Bench", passwordHash: "x" },
    });
    await t.db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
    const session = await t.db.captureSession.create({
      data: {
        teamId: team.id,
        rtmsStreamId: "bench-stream",
        meetingUuid: "b==",
        serverUrls: "ws://x",
        state: "STOPPED",
      },
    });
    const participant = await t.db.participant.create({
      data: { sessionId: session.id, zoomUserId: "16778240", name: "Bench Person", frameCount: FRAMES },
    });
    const jpeg = await cameraFrame();
    const master = path.join(dataDir, "master.jpg");
    await writeFile(master, jpeg);
    const folder = path.join(framesDir, session.id, "Bench_Person_16778240");
    await mkdir(folder, { recursive: true });
    const t0 = 1_760_000_000_000;
    for (let start = 0; start < FRAMES; start += 2000) {
      const rows = [];
      for (let i = start; i < Math.min(FRAMES, start + 2000); i++) {
        const ts = t0 + i * 200;
        await link(master, path.join(folder, `${ts}.jpg`));
        rows.push({
          sessionId: session.id,
          participantId: participant.id,
          zoomTimestamp: BigInt(ts),
          storageKey: `${session.id}/Bench_Person_16778240/${ts}.jpg`,
          bytes: jpeg.length,
          width: 1280,
          height: 720,
          contentHash: "bench",
        });
      }
      await t.db.frame.createMany({ data: rows });
    }
    console.log(
      `seeded ${FRAMES} frames (${(jpeg.length / 1024).toFixed(1)} KB each) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    if (!existsSync(path.join(WEB_DIR, ".next", "BUILD_ID"))) {
      const build = spawnSync("pnpm", ["exec", "next", "build"], {
        cwd: WEB_DIR,
        stdio: "inherit",
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      });
      if (build.status !== 0) throw new Error("next build failed");
    }
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = spawn(
      path.join(WEB_DIR, "node_modules", ".bin", "next"),
      ["start", "-H", "127.0.0.1", "-p", String(port)],
      {
        cwd: WEB_DIR,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
          LOG_LEVEL: "warn",
          DATABASE_URL: t.url,
          REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
          CAPTURE_ENCRYPTION_KEYS: generateKeySpec("bench"),
          FRAMES_DIR: framesDir,
          THUMBNAIL_DIR: path.join(dataDir, "thumbnails"),
          NEXTAUTH_SECRET: secret,
          NEXTAUTH_URL: base,
        } as NodeJS.ProcessEnv,
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
    const token = await encode({
      token: { uid: user.id, sub: user.id, name: user.name, sid: `bench-${randomBytes(8).toString("hex")}` },
      secret,
      maxAge: 3600,
    });
    const cookie = `next-auth.session-token=${token}`;

    const frames = await t.db.frame.findMany({
      where: { participantId: participant.id },
      orderBy: { zoomTimestamp: "desc" },
      select: { id: true, zoomTimestamp: true },
    });
    const middle = frames[Math.floor(FRAMES / 2)]!.zoomTimestamp.toString();
    const oldest = frames[FRAMES - 61]!.zoomTimestamp.toString();
    const gallery = `${base}/sessions/${session.id}/participants/${participant.id}`;

    // Warm up every route (first requests compile nothing in production, but fill pools and caches).
    for (const u of [`${base}/api/health`, gallery, `${base}/api/participants/${participant.id}/frames`])
      await measure(u, cookie, 10);

    // Thumbnails: first render (sharp) for 100 frames, then cached serving.
    const sizes: number[] = [];
    const renderTimes: number[] = [];
    for (const f of frames.slice(0, 100)) {
      const s = performance.now();
      const res = await fetch(`${base}/api/frames/${f.id}?size=thumb`, { headers: { cookie } });
      const body = Buffer.from(await res.arrayBuffer());
      renderTimes.push(performance.now() - s);
      if (!res.ok) throw new Error(`thumbnail ${res.status}`);
      sizes.push(body.length);
    }
    renderTimes.sort((a, b) => a - b);

    const rows: [string, Awaited<ReturnType<typeof measure>>][] = [
      ["baseline GET /api/health", await measure(`${base}/api/health`, cookie, REQUESTS)],
      ["gallery page, newest 60", await measure(gallery, cookie, REQUESTS)],
      ["gallery page, middle (keyset)", await measure(`${gallery}?before=${middle}`, cookie, REQUESTS)],
      ["gallery page, oldest (keyset)", await measure(`${gallery}?before=${oldest}`, cookie, REQUESTS)],
      [
        "gallery API JSON, middle",
        await measure(`${base}/api/participants/${participant.id}/frames?before=${middle}`, cookie, REQUESTS),
      ],
      [
        "thumbnail, cached",
        await measure(`${base}/api/frames/${frames[0]!.id}?size=thumb`, cookie, REQUESTS),
      ],
      ["gallery page, 8 concurrent", await measure(gallery, cookie, REQUESTS, 8)],
    ];
    const pad = (s: string, n: number) => s.padEnd(n);
    const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
    console.log(`\n${pad("route", 34)}${"p50".padStart(10)}${"p95".padStart(10)}${"p99".padStart(10)}  body`);
    for (const [name, r] of rows)
      console.log(`${pad(name, 34)}${ms(r.p50)}${ms(r.p95)}${ms(r.p99)}  ${(r.bytes / 1024).toFixed(1)} KB`);
    const maxThumb = Math.max(...sizes);
    const meanThumb = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    console.log(
      `\nthumbnails (${sizes.length}, 1280x720 source ${(jpeg.length / 1024).toFixed(1)} KB): mean ${(meanThumb / 1024).toFixed(1)} KB, max ${(maxThumb / 1024).toFixed(1)} KB; first render p50 ${percentile(renderTimes, 50).toFixed(1)} ms, p95 ${percentile(renderTimes, 95).toFixed(1)} ms`,
    );
    const galleryP95 = Math.max(
      ...rows.filter(([n]) => n.startsWith("gallery") && !n.includes("concurrent")).map(([, r]) => r.p95),
    );
    console.log(
      `\ntarget gallery p95 < 200 ms: ${galleryP95.toFixed(1)} ms -> ${galleryP95 < 200 ? "met" : "MISSED"}`,
    );
    console.log(
      `target thumbnails < 20 KB: max ${(maxThumb / 1024).toFixed(1)} KB -> ${maxThumb < 20 * 1024 ? "met" : "MISSED"}`,
    );
    console.log(
      `baseline p95 ${rows[0]![1].p95.toFixed(1)} ms: the gallery costs ${(galleryP95 / rows[0]![1].p95).toFixed(1)}x a trivial route`,
    );
  } finally {
    server?.kill("SIGTERM");
    await t.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
