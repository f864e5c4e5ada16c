// Benchmark: what a local-store put costs the event loop and the process, paced as streams send frames
// (BENCH_RATE puts a second for BENCH_SECONDS), for LocalDiskFrameStore (its writer threads, with the bytes
// copied to the thread or handed over: PutOptions.handOver) beside the same put done with fs/promises
// (open, write, close, rename: four thread-pool round trips), in the same run
// on the same disk. Event-loop time is what limits a capture worker: it parses frames and answers
// keep-alives on that thread.
// Run: pnpm --filter @capture/rtms-core exec tsx bench/file-writes.ts
//   BENCH_RATE (1000), BENCH_SECONDS (6), BENCH_ROUNDS (2: the sides alternate, each round's figures shown)
//
// Two cautions, both seen on this project's VMs: the files are never deleted during a run (on ext4 without
// a journal, creating a file costs more for 30 s after many deletes: `recently_deleted` in ext4's inode
// allocator), and both sides write into fresh folders.
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, open, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalDiskFrameStore } from "../src/frames/local-disk-store.ts";
import { JPEG } from "./frame-source.ts";

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PAYLOAD = Buffer.from(JPEG);
const FOLDERS = 200; // one per participant, as 200 streams would make

type Put = (i: number) => Promise<unknown>;

/** A copy in a buffer of its own (not Node's pool), as Buffer.from(base64) gives a decoded frame. */
function own(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

async function paced(put: Put) {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let asked = 0;
  let done = 0;
  let failed = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) * RATE) / 1000);
      while (asked < due) {
        put(asked++).then(
          () => done++,
          () => failed++,
        );
      }
      if (performance.now() - t0 >= SECONDS * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  while (done + failed < asked) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  if (failed > 0) throw new Error(`${failed} puts failed`);
  return {
    puts: done,
    loopUsPerPut: (elu.active * 1000) / done,
    cpuUsPerPut: (cpu.user + cpu.system) / done,
  };
}

const root = await mkdtemp(path.join(tmpdir(), "bench-file-writes-"));
const rows: Record<string, string | number>[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    // Each put gets a buffer of its own, as a decoded frame is (the copy is timed on every side).
    const storePut = (store: LocalDiskFrameStore, handOver: boolean) => (i: number) =>
      store.put(
        {
          sessionKey: "bench",
          userName: `p${i % FOLDERS}`,
          userId: i % FOLDERS,
          timestamp: i,
          format: "jpg",
        },
        own(PAYLOAD),
        { handOver },
      );
    const threads = await paced(
      storePut(new LocalDiskFrameStore({ rootDir: path.join(root, `store-${round}`) }), false),
    );
    const handedOver = await paced(
      storePut(new LocalDiskFrameStore({ rootDir: path.join(root, `moved-${round}`) }), true),
    );
    const base = path.join(root, `promises-${round}`);
    const made = new Set<string>();
    const promises = await paced(async (i) => {
      const dir = path.join(base, `p${i % FOLDERS}`);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      const temp = path.join(dir, `.${i}.jpg.${randomUUID()}.tmp`);
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(own(PAYLOAD));
      } finally {
        await handle.close();
      }
      await rename(temp, path.join(dir, `${i}.jpg`));
    });
    for (const [side, r] of [
      ["LocalDiskFrameStore (writer threads, bytes copied to the thread)", threads],
      ["LocalDiskFrameStore (writer threads, bytes handed over)", handedOver],
      ["baseline: fs/promises open+write+close+rename", promises],
    ] as const) {
      rows.push({
        round,
        side,
        "puts/s asked": RATE,
        puts: r.puts,
        "event loop µs/put": Math.round(r.loopUsPerPut),
        "cpu µs/put": Math.round(r.cpuUsPerPut),
      });
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
console.log(`local-store puts, ${PAYLOAD.length} B each, ${RATE}/s for ${SECONDS} s, ${FOLDERS} folders`);
console.table(rows);
const pick = (side: string, key: string) =>
  Math.min(...rows.filter((r) => String(r.side).startsWith(side)).map((r) => Number(r[key])));
const copied = "LocalDiskFrameStore (writer threads, bytes copied";
const moved = "LocalDiskFrameStore (writer threads, bytes handed";
console.log(
  `event loop per put (best of ${ROUNDS}): writer threads ${pick(copied, "event loop µs/put")} µs copied, ` +
    `${pick(moved, "event loop µs/put")} µs handed over, beside fs/promises ${pick("baseline", "event loop µs/put")} µs; ` +
    `CPU per put ${pick(copied, "cpu µs/put")} / ${pick(moved, "cpu µs/put")} µs beside ${pick("baseline", "cpu µs/put")} µs`,
);
