// The database goes away mid-stream (the worker reaches Postgres through a TCP proxy that the test cuts,
// which to the worker is exactly a Postgres restart, without disturbing other suites sharing Postgres).
// Every frame the policy kept must end up as a file AND a row once the database is back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  frameCount,
  type Harness,
  listFiles,
  sleep,
  startHarness,
  startStream,
  type WorkerProcess,
  waitUntil,
} from "./support/harness.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.ts";

let h: Harness;
let proxy: TcpProxy;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness("dboutage");
  const target = new URL(h.testDb.url);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(h.testDb.url);
  viaProxy.port = String(proxy.port);
  worker = await h.spawnWorker({ DATABASE_URL: viaProxy.toString() }).ready();
});
afterAll(async () => {
  await h?.close();
  await proxy?.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.healthPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("database outage", () => {
  it("buffers kept frames while Postgres is away and writes every one when it returns", async () => {
    const db = h.testDb.db;
    const { live, streamId, sessionId } = await startStream(h, {
      number: "500000001",
      participants: [{ name: "Ivan" }],
      framePolicy: { kind: "all" },
    });
    await waitUntil(
      async () => (await frameCount(h, sessionId)) >= 5,
      15_000,
      () => worker.describe(),
    );

    await proxy.stop();
    const ready = await fetch(`http://127.0.0.1:${worker.healthPort}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.database).toMatch(/^failed/);
    expect((await fetch(`http://127.0.0.1:${worker.healthPort}/health`)).status).toBe(200);
    await sleep(3000);
    const buffered = await metric("capture_db_buffer_bytes");
    expect(buffered).toBeGreaterThan(0);
    await proxy.start();

    const rowsAtRestart = await frameCount(h, sessionId);
    await waitUntil(
      async () => (await frameCount(h, sessionId)) >= rowsAtRestart + 20,
      20_000,
      () => worker.describe(),
    );
    expect((await fetch(`http://127.0.0.1:${worker.healthPort}/health/ready`)).status).toBe(200);
    live.stopRtms(6);
    await waitUntil(
      async () =>
        (await db.captureSession.findUniqueOrThrow({ where: { id: sessionId } })).state === "STOPPED",
      15_000,
      () => worker.describe(),
    );
    await waitUntil(
      async () => (await metric("capture_db_buffer_bytes")) === 0,
      10_000,
      () => worker.describe(),
    );

    const rows = await db.frame.findMany({ where: { sessionId }, orderBy: { zoomTimestamp: "asc" } });
    expect(await listFiles(h.framesDir)).toEqual(rows.map((r) => r.storageKey).sort());
    // Every frame kept (keep-all: every frame offered) became a row: none lost, none dropped for lack of room.
    expect(await metric("capture_frames_kept_total")).toBe(rows.length);
    expect(await metric('capture_frames_dropped_total{reason="db_buffer_overflow"}')).toBe(0);
    // The stream is one unbroken sequence of frames, the outage included.
    const ts = rows.map((r) => Number(r.zoomTimestamp));
    const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(400);
    expect(await db.sessionEvent.count({ where: { sessionId, type: "STOPPED" } })).toBe(1);
    expect(worker.lines.some((l) => l.msg === "database writes recovered")).toBe(true);
    expect(streamId).toBeTruthy();
  });
});
