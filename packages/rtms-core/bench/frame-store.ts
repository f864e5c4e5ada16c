// Benchmark: frames stored and read per second on the S3 store (s3rver on loopback, an emulator in its own
// process) beside the local-disk store (the baseline), in the same run, same payloads, same concurrency.
// s3rver is a Node emulator writing files, so absolute S3 figures say little about real S3 or MinIO; the
// ratio says what the S3 path (HTTP, signing, MD5) costs over a rename on local disk here.
// Run: pnpm --filter @capture/rtms-core exec tsx bench/frame-store.ts
//   BENCH_FRAMES (default 400 per phase), BENCH_CONCURRENCY (default 16), BENCH_ROUNDS (default 2, best kept)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalDiskFrameStore } from "../src/frames/local-disk-store.ts";
import type { FrameStore } from "../src/frames/store.ts";
import { startTestS3Server } from "../src/frames/testing.ts";
import { JPEG } from "./frame-source.ts";

const FRAMES = Number(process.env.BENCH_FRAMES ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PAYLOAD = Buffer.from(JPEG);

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function phase(store: FrameStore, session: string, concurrency: number) {
  const keys: string[] = [];
  const t0 = performance.now();
  await pool(FRAMES, concurrency, async (i) => {
    const { storageKey } = await store.put(
      { sessionKey: session, userName: `p${i % 10}`, userId: i % 10, timestamp: i, format: "jpg" },
      PAYLOAD,
    );
    keys.push(storageKey);
  });
  const putMs = performance.now() - t0;
  const t1 = performance.now();
  await pool(keys.length, concurrency, async (i) => {
    await store.get(keys[i]!);
  });
  const getMs = performance.now() - t1;
  await store.deleteSession(session);
  return { putPerSec: (FRAMES / putMs) * 1000, getPerSec: (FRAMES / getMs) * 1000 };
}

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-store-"));
  const s3 = await startTestS3Server();
  try {
    const stores: [string, FrameStore][] = [
      ["local disk", new LocalDiskFrameStore({ rootDir: path.join(dir, "frames") })],
      ["S3 (s3rver)", await s3.store("bench-frames")],
    ];
    process.stdout.write(
      `frame store bench: ${FRAMES} frames of ${(PAYLOAD.length / 1024).toFixed(0)} KiB per phase, best of ${ROUNDS} rounds\n`,
    );
    for (const concurrency of [1, CONCURRENCY]) {
      const best = new Map<string, { putPerSec: number; getPerSec: number }>();
      for (let round = 0; round < ROUNDS; round++) {
        // Interleaved, so a noisy neighbour on the shared machine hits both stores alike.
        for (const [name, store] of stores) {
          const r = await phase(store, `bench-${round}-${concurrency}`, concurrency);
          const prev = best.get(name);
          best.set(name, {
            putPerSec: Math.max(prev?.putPerSec ?? 0, r.putPerSec),
            getPerSec: Math.max(prev?.getPerSec ?? 0, r.getPerSec),
          });
        }
      }
      const base = best.get("local disk")!;
      process.stdout.write(`\nconcurrency ${concurrency}\n`);
      for (const [name, r] of best) {
        process.stdout.write(
          `  ${name.padEnd(12)} put ${r.putPerSec.toFixed(0).padStart(6)} frames/s (x${(r.putPerSec / base.putPerSec).toFixed(2)})` +
            `   get ${r.getPerSec.toFixed(0).padStart(6)} frames/s (x${(r.getPerSec / base.getPerSec).toFixed(2)})\n`,
        );
      }
    }
  } finally {
    await s3.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
