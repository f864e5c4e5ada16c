// API benchmark (issue 14): one participant with 100,000 frames, /api/v1 frame pages over real HTTP with a
// real token, p50/p95/p99 beside /api/health (one SELECT 1 and one Redis PING) measured in the same run.
//   pnpm --filter @capture/web exec tsx bench/api.ts     (needs Postgres and Redis)
//   BENCH_FRAMES, BENCH_REQUESTS override the sizes.
import { spawn } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { generateKeySpec } from "@capture/db";
import { createTestDatabase } from "@capture/db/testing";
import { createApiToken } from "~/modules/api/lib/tokens.ts";
import { resolveMember } from "~/modules/teams/lib/membership.ts";
import { measureGets } from "./timing.ts";

const FRAMES = Number(process.env.BENCH_FRAMES ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WEB_DIR = path.resolve(import.meta.dirname, "..");

/** One token's GETs, timed. */
const measure = (url: string, token: string, n: number) =>
  measureGets(url, { Authorization: `Bearer ${token}` }, n);

async function main() {
  const started = performance.now();
  const t = await createTestDatabase("apibench");
  let host: ReturnType<typeof spawn> | undefined;
  try {
    const team = await t.db.team.create({ data: { name: "Bench", slug: "bench" } });
    const user = await t.db.user.create({
      data: { email: "b@example.test", name: "Bench", passwordHash: "x" },
    });
    await t.db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
    const member = (await resolveMember(t.db, user.id, team.id))!;
    const { token } = await createApiToken(t.db, member, { name: "bench", scopes: ["READ"] });
    const session = await t.db.captureSession.create({
      data: {
        teamId: team.id,
        rtmsStreamId: "bench",
        meetingUuid: "b==",
        serverUrls: "ws://x",
        state: "STOPPED",
      },
    });
    const participant = await t.db.participant.create({
      data: {
        sessionId: session.id,
        zoomUserId: "1",
        name: "Bench",
        frameCount: FRAMES,
        firstVideoOnAt: new Date(),
      },
    });
    const t0 = 1_760_000_000_000;
    for (let start = 0; start < FRAMES; start += 5000) {
      await t.db.frame.createMany({
        data: Array.from({ length: Math.min(5000, FRAMES - start) }, (_, k) => ({
          sessionId: session.id,
          participantId: participant.id,
          zoomTimestamp: BigInt(t0 + (start + k) * 200),
          storageKey: `${session.id}/Bench_1/${t0 + (start + k) * 200}.jpg`,
          bytes: 50_000,
          width: 1280,
          height: 720,
          contentHash: "bench",
        })),
      });
    }
    await t.db.$executeRawUnsafe('ANALYZE "Frame"');
    console.log(`seeded ${FRAMES} frames in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    host = spawn(path.join(WEB_DIR, "node_modules", ".bin", "tsx"), ["bench/api-host.ts"], {
      cwd: WEB_DIR,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        DATABASE_URL: t.url,
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        QUEUE_PREFIX: `apibench-${process.pid}`,
        API_RATE_LIMIT_PER_MIN: "1000000",
        CAPTURE_ENCRYPTION_KEYS: generateKeySpec("bench"),
        NEXTAUTH_SECRET: "bench-secret-bench-secret",
      } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      host!.stdout!.on("data", (d: Buffer) => {
        const m = /listening (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      host!.on("exit", (code) => reject(new Error(`api host exited ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const frames = `${base}/api/v1/participants/${participant.id}/frames`;
    const middle = String(t0 + (FRAMES / 2) * 200);
    const nearOldest = String(t0 + 150 * 200);
    const sinceLate = String(t0 + (FRAMES - 500) * 200);
    for (const u of [`${base}/api/health`, frames]) await measure(u, token, 20);

    const rows: [string, Awaited<ReturnType<typeof measure>>][] = [
      ["baseline GET /api/health", await measure(`${base}/api/health`, token, REQUESTS)],
      ["frames, newest 100", await measure(`${frames}?limit=100`, token, REQUESTS)],
      ["frames, middle cursor", await measure(`${frames}?limit=100&cursor=${middle}`, token, REQUESTS)],
      [
        "frames, near-oldest cursor",
        await measure(`${frames}?limit=100&cursor=${nearOldest}`, token, REQUESTS),
      ],
      [
        "frames, asc since (polling)",
        await measure(`${frames}?order=asc&limit=100&since=${sinceLate}`, token, REQUESTS),
      ],
      ["session detail", await measure(`${base}/api/v1/sessions/${session.id}`, token, REQUESTS)],
    ];
    const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
    console.log(
      `\n${"route".padEnd(32)}${"p50".padStart(10)}${"p95".padStart(10)}${"p99".padStart(10)}  body`,
    );
    for (const [name, r] of rows)
      console.log(
        `${name.padEnd(32)}${ms(r.p50)}${ms(r.p95)}${ms(r.p99)}  ${(r.bytes / 1024).toFixed(1)} KB`,
      );
    const worst = Math.max(...rows.filter(([n]) => n.startsWith("frames")).map(([, r]) => r.p95));
    console.log(
      `\nframes-list worst p95 ${worst.toFixed(1)} ms on a ${FRAMES}-frame participant; baseline p95 ${rows[0]![1].p95.toFixed(1)} ms (${(worst / rows[0]![1].p95).toFixed(1)}x)`,
    );
  } finally {
    host?.kill("SIGTERM");
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
